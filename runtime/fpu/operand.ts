/**
 * x87 memory operands by data type: reading one as a stack value and
 * storing a stack value into one. The type is the row's operand notation
 * (m32fp, m16int, m80bcd, …), so one routine serves FLD/FILD/FBLD, the
 * arithmetic forms and the stores.
 */
import type { ConcreteBackend } from '../concrete-backend.js';
import type { Instruction, MemOperand, OperandSpec } from '../../translator/table/types.js';
import { BCD_INDEFINITE, fromBcd, fromInteger, fromReal, toBcd, toInteger, toReal } from './convert.js';
import { DOUBLE, type Env, type F80, INDEFINITE, SINGLE } from './float80.js';
import { bigOf, bytesOf, f80Of, type MemRef, memRef, putF80, readBytes, writeBytes } from './exec.js';

/** The memory operand of an x87 row and its type, if it has one. */
export function memoryOperand(i: Instruction): { op: MemOperand; spec: OperandSpec } | undefined {
  for (let k = 0; k < i.operands.length; k++) {
    const op = i.operands[k]!;
    if (op.kind === 'mem') return { op, spec: i.row.operands[k]! };
  }
  return undefined;
}

/** Raw bytes of a memory operand, read with its checks (done before any state changes). */
export interface Fetched {
  readonly ref: MemRef;
  readonly spec: OperandSpec;
  readonly bytes: Uint8Array;
}

export function fetch(b: ConcreteBackend, op: MemOperand, spec: OperandSpec): Fetched {
  const ref = memRef(b, op);
  return { ref, spec, bytes: readBytes(b, ref, op.size) };
}

/** Signed integer of a little-endian byte string. */
function signedOf(bytes: Uint8Array): bigint {
  return BigInt.asIntN(bytes.length * 8, bigOf(bytes));
}

/**
 * The stack value of a fetched operand. Reals convert exactly (SNaN: IE,
 * denormal: DE, both into env); null when that exception is unmasked.
 */
export function valueOf(env: Env, m: Fetched): F80 | null {
  switch (m.spec) {
    case 'm32fp': return fromReal(env, bigOf(m.bytes), SINGLE);
    case 'm64fp': return fromReal(env, bigOf(m.bytes), DOUBLE);
    case 'm80fp': return f80Of(m.bytes);
    case 'm80bcd': return fromBcd(m.bytes);
    default: return fromInteger(signedOf(m.bytes));
  }
}

/** The bytes a masked invalid operation stores for an operand type (the indefinite of the format). */
export function indefiniteBytes(spec: OperandSpec): Uint8Array {
  switch (spec) {
    case 'm32fp': return bytesOf(0xffc00000n, 4);
    case 'm64fp': return bytesOf(0xfff8000000000000n, 8);
    case 'm80fp': { const out = new Uint8Array(10); putF80(out, 0, INDEFINITE); return out; }
    case 'm80bcd': return BCD_INDEFINITE;
    case 'm16int': return bytesOf(0x8000n, 2);
    case 'm32int': return bytesOf(0x80000000n, 4);
    default: return bytesOf(0x8000000000000000n, 8);
  }
}

/**
 * The bytes a store of `v` writes to an operand of type `spec`, or null
 * when an unmasked exception leaves memory unwritten.
 */
export function storeBytes(env: Env, v: F80, spec: OperandSpec, truncate = false): Uint8Array | null {
  switch (spec) {
    case 'm32fp': { const r = toReal(env, v, SINGLE); return r === null ? null : bytesOf(r, 4); }
    case 'm64fp': { const r = toReal(env, v, DOUBLE); return r === null ? null : bytesOf(r, 8); }
    case 'm80fp': { const out = new Uint8Array(10); putF80(out, 0, v); return out; }
    case 'm80bcd': return toBcd(env, v);
    case 'm16int': { const r = toInteger(env, v, 16, truncate); return r === null ? null : bytesOf(r, 2); }
    case 'm32int': { const r = toInteger(env, v, 32, truncate); return r === null ? null : bytesOf(r, 4); }
    default: { const r = toInteger(env, v, 64, truncate); return r === null ? null : bytesOf(r, 8); }
  }
}

export function store(b: ConcreteBackend, ref: MemRef, bytes: Uint8Array): void {
  writeBytes(b, ref, bytes);
}

export { memRef };
