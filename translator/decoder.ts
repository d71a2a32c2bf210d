/**
 * The IA-32 decoder: bytes in, a plain `Instruction` record out. Pure: no
 * CPU state, no emission. It never throws for any byte sequence: an
 * encoding the CPU rejects comes back as a `DecodeFault` (#UD, or #GP for
 * an instruction longer than 15 bytes). Faults raised by `fetch` itself
 * (a #PF on instruction fetch) propagate to the caller unchanged.
 */
import { Vector } from '../runtime/exceptions.js';
import { ONE_BYTE_MAP, TWO_BYTE_MAP, type DecodeEntry } from './table/index.js';
import {
  type DecodeResult, type Instruction, type MemOperand, type Operand, type OpcodeRow, type OperandSpec,
  Reg, Seg, type Size,
} from './table/types.js';

/** Reads the instruction byte at offset i from the start (0..14). */
export type Fetch = (i: number) => number;

const MAX_LENGTH = 15;

/** Internal early exit; never escapes `decode`. */
class Reject {
  constructor(readonly vector: number, readonly length: number, readonly reason: string) {}
}

/** 16-bit addressing: r/m -> [base, index] (SDM vol. 2, table 2-1). */
const RM16: ReadonlyArray<readonly [number, number]> = [
  [Reg.EBX, Reg.ESI], [Reg.EBX, Reg.EDI], [Reg.EBP, Reg.ESI], [Reg.EBP, Reg.EDI],
  [Reg.ESI, -1], [Reg.EDI, -1], [Reg.EBP, -1], [Reg.EBX, -1],
];

class Cursor {
  pos = 0;
  constructor(private readonly fetch: Fetch) {}
  byte(): number {
    if (this.pos >= MAX_LENGTH) throw new Reject(Vector.GP, this.pos, 'instruction longer than 15 bytes');
    return this.fetch(this.pos++) & 0xff;
  }
  imm(size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.byte() << (8 * i);
    return size === 4 ? v >>> 0 : v;
  }
}

function sext(v: number, size: number): number {
  return size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
}

/** Sizes of the x87 memory operands (environment and FSAVE image by operand size). */
const X87_MEMORY_SIZE: Readonly<Record<string, number | readonly [number, number]>> = {
  'm32fp': 4, 'm64fp': 8, 'm80fp': 10, 'm16int': 2, 'm32int': 4, 'm64int': 8, 'm80bcd': 10,
  'm2byte': 2, 'm14/28byte': [14, 28], 'm94/108byte': [94, 108], 'm512byte': 512,
};

/** Size in bytes of an operand spec, or 0 where not applicable. */
function specSize(spec: OperandSpec, opsize: 2 | 4): number {
  const x87 = X87_MEMORY_SIZE[spec];
  if (x87 !== undefined) return typeof x87 === 'number' ? x87 : x87[opsize === 2 ? 0 : 1];
  const t = spec.length >= 2 && spec !== 'AL' && spec !== 'CL' && spec !== 'AX' && spec !== 'DX' && spec !== 'eAX' ? spec[1] : '';
  switch (t) {
    case 'b': return 1;
    case 'w': return 2;
    case 'd': return 4;
    case 'v': case 'z': return opsize;
    case 'a': return opsize * 2;
    case 'p': return opsize + 2;
    case 'q': return 8;
    case 's': return 6;
    default: return 0;
  }
}

function selectRow(entry: DecodeEntry, modrm: number): OpcodeRow | undefined {
  if (entry.row) return entry.row;
  const exact = modrm >= 0xc0 ? entry.byModrm?.[modrm - 0xc0] : undefined;
  if (exact || !entry.byDigit) return exact;
  const mem = modrm >> 6 !== 3;
  for (const row of entry.byDigit[(modrm >> 3) & 7]!) {
    if (row.mod === undefined || (row.mod === 'mem') === mem) return row;
  }
  return undefined;
}

function needsMemory(spec: OperandSpec): boolean {
  return spec[0] === 'M' || X87_MEMORY_SIZE[spec] !== undefined;
}

/**
 * Decode one instruction at `eip`. `code32` is CS.D (default operand and
 * address size 32).
 */
export function decode(fetch: Fetch, eip: number, code32: boolean): DecodeResult {
  const cur = new Cursor(fetch);
  try {
    return decodeAt(cur, eip, code32);
  } catch (e) {
    if (e instanceof Reject) return { fault: e.vector, eip, length: Math.max(e.length, 1), reason: e.reason };
    throw e;
  }
}

function decodeAt(cur: Cursor, eip: number, code32: boolean): Instruction {
  let opsize: 2 | 4 = code32 ? 4 : 2;
  let adsize: 2 | 4 = code32 ? 4 : 2;
  let lock = false;
  let rep: 0 | 0xf3 | 0xf2 = 0;
  let segOverride = -1;
  let prefix66 = false;
  let b: number;
  for (;;) {
    b = cur.byte();
    switch (b) {
      case 0x66: opsize = code32 ? 2 : 4; prefix66 = true; continue;
      case 0x67: adsize = code32 ? 2 : 4; continue;
      case 0xf0: lock = true; continue;
      case 0xf2: case 0xf3: rep = b; continue;
      case 0x26: segOverride = Seg.ES; continue;
      case 0x2e: segOverride = Seg.CS; continue;
      case 0x36: segOverride = Seg.SS; continue;
      case 0x3e: segOverride = Seg.DS; continue;
      case 0x64: segOverride = Seg.FS; continue;
      case 0x65: segOverride = Seg.GS; continue;
    }
    break;
  }
  let entry: DecodeEntry | undefined;
  if (b === 0x0f) {
    b = cur.byte();
    entry = TWO_BYTE_MAP[b];
  } else {
    entry = ONE_BYTE_MAP[b];
  }
  if (!entry) throw new Reject(Vector.UD, cur.pos, 'undefined opcode');
  const opcodeByte = b;
  let modrm = -1;
  let row: OpcodeRow | undefined;
  if (entry.modrm) {
    modrm = cur.byte();
    row = selectRow(entry, modrm);
  } else {
    row = entry.row;
  }
  if (!row) throw new Reject(Vector.UD, cur.pos, 'undefined opcode extension');
  if (row.prefixUd && (prefix66 || rep)) throw new Reject(Vector.UD, cur.pos, 'SSE encoding (not on this CPU model)');

  const mod = modrm >> 6;
  const regField = (modrm >> 3) & 7;
  let mem: Omit<MemOperand, 'size'> | undefined;
  const defaultSeg = (base: number): Seg => (segOverride >= 0 ? segOverride : base === Reg.EBP || base === Reg.ESP ? Seg.SS : Seg.DS);

  // Register-only operands (MOV CRn/DRn) ignore mod and always name a register.
  const regOnly = row.operands.some((s) => s === 'Rd');
  if (modrm >= 0 && mod !== 3 && !regOnly) {
    const rm = modrm & 7;
    if (adsize === 2) {
      let base = -1, index = -1, disp = 0;
      if (mod === 0 && rm === 6) {
        disp = cur.imm(2);
      } else {
        [base, index] = RM16[rm]!;
        if (mod === 1) disp = sext(cur.imm(1), 1) & 0xffff;
        else if (mod === 2) disp = cur.imm(2);
      }
      mem = { kind: 'mem', seg: defaultSeg(base), base, index, scale: 0, disp, adsize };
    } else {
      let base = rm, index = -1, scale = 0, disp = 0;
      if (rm === 4) {
        const sib = cur.byte();
        scale = sib >> 6;
        index = (sib >> 3) & 7;
        if (index === 4) index = -1;
        base = sib & 7;
        if (base === 5 && mod === 0) { base = -1; disp = cur.imm(4); }
      } else if (rm === 5 && mod === 0) {
        base = -1;
        disp = cur.imm(4);
      }
      if (mod === 1) disp = sext(cur.imm(1), 1) >>> 0;
      else if (mod === 2) disp = cur.imm(4);
      mem = { kind: 'mem', seg: defaultSeg(base), base, index, scale, disp, adsize };
    }
  }

  const operands: Operand[] = [];
  for (const spec of row.operands) {
    if (needsMemory(spec) && !mem) throw new Reject(Vector.UD, cur.pos, `${row.mnemonic} needs a memory operand`);
    if (spec === 'Rd' && mod !== 3 && !regOnly) throw new Reject(Vector.UD, cur.pos, 'register operand required');
    operands.push(operandFor(spec, cur, { opsize, adsize, modrm, regField, mem, opcodeByte, segOverride }));
  }

  if (lock && (!row.lock || operands[0]?.kind !== 'mem')) throw new Reject(Vector.UD, cur.pos, 'LOCK prefix not allowed');
  // MOV to CS is invalid; so is a segment register number beyond GS.
  if (row.operands[0] === 'Sw' && (regField === Seg.CS || regField > Seg.GS)) throw new Reject(Vector.UD, cur.pos, 'bad segment register');
  if (row.operands[1] === 'Sw' && regField > Seg.GS) throw new Reject(Vector.UD, cur.pos, 'bad segment register');
  if (row.operands.includes('Cd') && (regField === 1 || regField > 4)) throw new Reject(Vector.UD, cur.pos, 'bad control register');

  const length = cur.pos;
  const nextEip = code32 ? (eip + length) >>> 0 : (eip + length) & 0xffff;
  // Branch targets depend on the length, so resolve them last.
  for (let k = 0; k < operands.length; k++) {
    const op = operands[k]!;
    if (op.kind === 'rel') {
      const t = (nextEip + op.target) >>> 0;
      operands[k] = { kind: 'rel', target: opsize === 2 ? t & 0xffff : t };
    }
  }
  return { eip, length, nextEip, row, opsize, adsize, lock, rep, segOverride, operands, modrm };
}

interface OperandContext {
  opsize: 2 | 4;
  adsize: 2 | 4;
  modrm: number;
  regField: number;
  mem: Omit<MemOperand, 'size'> | undefined;
  opcodeByte: number;
  segOverride: number;
}

function operandFor(spec: OperandSpec, cur: Cursor, c: OperandContext): Operand {
  const size = specSize(spec, c.opsize);
  switch (spec) {
    case 'Eb': case 'Ev': case 'Ew': case 'Ed':
      return c.mem ? { ...c.mem, size } : { kind: 'reg', size: size as Size, reg: c.modrm & 7 };
    case 'M': return { ...c.mem!, size: 0 };
    case 'Ma': case 'Mp': case 'Mq': case 'Ms': case 'Mw': case 'Md': case 'Mv':
      return { ...c.mem!, size };
    case 'Rd': return { kind: 'reg', size: 4, reg: c.modrm & 7 };
    case 'Gb': case 'Gv': case 'Gw': case 'Gd':
      return { kind: 'reg', size: size as Size, reg: c.regField };
    case 'Sw': return { kind: 'sreg', reg: c.regField };
    case 'Cd': return { kind: 'creg', reg: c.regField };
    case 'Dd': return { kind: 'dreg', reg: c.regField };
    case 'Zb': case 'Zv': return { kind: 'reg', size: size as Size, reg: c.opcodeByte & 7 };
    case 'Ib': return { kind: 'imm', size: 1, value: cur.imm(1) };
    case 'Iw': return { kind: 'imm', size: 2, value: cur.imm(2) };
    case 'Iz': case 'Iv': return { kind: 'imm', size: c.opsize, value: cur.imm(c.opsize) };
    case 'IbS': {
      const v = sext(cur.imm(1), 1);
      return { kind: 'imm', size: c.opsize, value: c.opsize === 2 ? v & 0xffff : v >>> 0 };
    }
    case 'Jb': return { kind: 'rel', target: sext(cur.imm(1), 1) };
    case 'Jz': return { kind: 'rel', target: sext(cur.imm(c.opsize), c.opsize) };
    case 'Ob': case 'Ov':
      return {
        kind: 'mem', size, seg: c.segOverride >= 0 ? c.segOverride : Seg.DS,
        base: -1, index: -1, scale: 0, disp: cur.imm(c.adsize), adsize: c.adsize,
      };
    case 'Xb': case 'Xv': case 'Xz':
      return { kind: 'mem', size, seg: c.segOverride >= 0 ? c.segOverride : Seg.DS, base: Reg.ESI, index: -1, scale: 0, disp: 0, adsize: c.adsize };
    case 'Yb': case 'Yv': case 'Yz':
      return { kind: 'mem', size, seg: Seg.ES, base: Reg.EDI, index: -1, scale: 0, disp: 0, adsize: c.adsize };
    case 'Ap': {
      const offset = cur.imm(c.opsize);
      return { kind: 'far', offset, selector: cur.imm(2) };
    }
    case 'Ep':
      if (!c.mem) throw new Reject(Vector.UD, cur.pos, 'far pointer operand must be in memory');
      return { ...c.mem, size };
    case 'AL': return { kind: 'reg', size: 1, reg: Reg.EAX };
    case 'CL': return { kind: 'reg', size: 1, reg: Reg.ECX };
    case 'AX': return { kind: 'reg', size: 2, reg: Reg.EAX };
    case 'DX': return { kind: 'reg', size: 2, reg: Reg.EDX };
    case 'eAX': return { kind: 'reg', size: c.opsize, reg: Reg.EAX };
    case '1': return { kind: 'imm', size: 1, value: 1 };
    case 'ES': return { kind: 'sreg', reg: Seg.ES };
    case 'CS': return { kind: 'sreg', reg: Seg.CS };
    case 'SS': return { kind: 'sreg', reg: Seg.SS };
    case 'DS': return { kind: 'sreg', reg: Seg.DS };
    case 'FS': return { kind: 'sreg', reg: Seg.FS };
    case 'GS': return { kind: 'sreg', reg: Seg.GS };
    case 'ST(0)': return { kind: 'st', index: 0 };
    case 'ST(i)': return { kind: 'st', index: c.modrm & 7 };
    case 'Pq': return { kind: 'mm', reg: c.regField & 7 };
    case 'Qq': case 'Qd': return c.mem ? { ...c.mem, size } : { kind: 'mm', reg: c.modrm & 7 };
    case 'Nq': return { kind: 'mm', reg: c.modrm & 7 };
    default: return { ...c.mem!, size }; // x87 memory operands (needsMemory checked it is there)
  }
}
