/**
 * Arithmetic-flag formulas of the lazy flag operations, written once over
 * `Arith<V>`: the reference tier evaluates them on demand, the translator
 * emits them only where a later reader needs the flag.
 *
 * Carry and overflow use the carry-out identities, which also hold when a
 * carry or borrow came in (ADC/SBB):
 *   add: CF = msb((a & b) | ((a | b) & ~res)), OF = msb((a ^ res) & (b ^ res))
 *   sub: CF = msb((~a & b) | (~(a ^ b) & res)), OF = msb((a ^ b) & (a ^ res))
 * Undefined flags (AF after logic and shifts, OF after multi-bit shifts)
 * get a value here but are masked in the differential tests' overlay.
 */
import { type Arith, Flag, FlagOp } from './backend.js';
import type { Size } from '../table/types.js';

function msb<V>(b: Arith<V>, x: V, size: Size): V {
  return b.and(b.shrU(x, b.k(size * 8 - 1)), b.k(1));
}

/** Parity flag: 1 when the low byte has an even number of set bits. */
export function parity<V>(b: Arith<V>, res: V): V {
  return b.xor(b.and(b.popcnt(b.and(res, b.k(0xff))), b.k(1)), b.k(1));
}

/** The flags an operation defines (the rest keep their previous values). */
export function flagsDefinedBy(op: FlagOp): number {
  return op === FlagOp.Inc || op === FlagOp.Dec ? 0x8d4 : 0x8d5;
}

/**
 * Value (0/1) of flag `f` after lazy operation `op`. INC and DEC are
 * evaluated from the result alone (their operand is res - 1 or res + 1, the
 * other 1): a record of them needs no operands, and translated code keeps
 * none in a loop (translator/emit/emit-backend.ts settleToLocals). LOGIC
 * reads only the result as well.
 */
export function lazyFlag<V>(b: Arith<V>, f: Flag, op: FlagOp, size: Size, res: V, a: V, s: V): V {
  if (op === FlagOp.Inc || op === FlagOp.Dec) {
    s = b.k(1);
    a = op === FlagOp.Inc ? b.sub(res, s) : b.add(res, s);
  }
  switch (f) {
    case Flag.ZF: return b.eqz(b.zx(res, size));
    case Flag.SF: return msb(b, res, size);
    case Flag.PF: return parity(b, res);
    case Flag.CF:
      switch (op) {
        case FlagOp.Add: return msb(b, b.or(b.and(a, s), b.and(b.or(a, s), b.not(res))), size);
        case FlagOp.Sub: return msb(b, b.or(b.and(b.not(a), s), b.and(b.not(b.xor(a, s)), res)), size);
        case FlagOp.Logic: return b.k(0);
        case FlagOp.Shl: return b.and(b.shrU(a, b.sub(b.k(size * 8), s)), b.k(1));
        case FlagOp.Shr: return b.and(b.shrU(a, b.sub(s, b.k(1))), b.k(1));
        case FlagOp.Sar: return b.and(b.shrS(b.sx(a, size), b.sub(s, b.k(1))), b.k(1));
        default: throw new Error(`CF is not defined by flag op ${op}`);
      }
    case Flag.OF:
      switch (op) {
        case FlagOp.Add: case FlagOp.Inc: return msb(b, b.and(b.xor(a, res), b.xor(s, res)), size);
        case FlagOp.Sub: case FlagOp.Dec: return msb(b, b.and(b.xor(a, s), b.xor(a, res)), size);
        case FlagOp.Logic: case FlagOp.Sar: return b.k(0);
        // OF is defined for 1-bit shifts: SHL: msb(res) ^ CF; SHR: msb(original).
        case FlagOp.Shl: return b.xor(msb(b, res, size), b.and(b.shrU(a, b.sub(b.k(size * 8), s)), b.k(1)));
        case FlagOp.Shr: return msb(b, a, size);
      }
      throw new Error(`bad flag op ${op}`);
    case Flag.AF:
      switch (op) {
        case FlagOp.Add: case FlagOp.Sub: case FlagOp.Inc: case FlagOp.Dec:
          return b.and(b.shrU(b.xor(b.xor(a, s), res), b.k(4)), b.k(1));
        default: return b.k(0);
      }
    default:
      throw new Error(`flag ${f} is not an arithmetic flag`);
  }
}

/** All arithmetic flags defined by `op`, assembled at their EFLAGS positions. */
export function lazyFlagsWord<V>(b: Arith<V>, op: FlagOp, size: Size, res: V, a: V, s: V): V {
  let w = b.k(0);
  const bits: Array<[Flag, number]> = [[Flag.CF, 0], [Flag.PF, 2], [Flag.AF, 4], [Flag.ZF, 6], [Flag.SF, 7], [Flag.OF, 11]];
  const defined = flagsDefinedBy(op);
  for (const [f, pos] of bits) {
    if (!(defined & f)) continue;
    w = b.or(w, b.shl(lazyFlag(b, f, op, size, res, a, s), b.k(pos)));
  }
  return w;
}

/** Evaluate condition code cc (0..15) from flag reads. */
export function conditionFromFlags<V>(b: Arith<V>, flag: (f: Flag) => V, cc: number): V {
  let v: V;
  switch (cc >> 1) {
    case 0: v = flag(Flag.OF); break;
    case 1: v = flag(Flag.CF); break;
    case 2: v = flag(Flag.ZF); break;
    case 3: v = b.or(flag(Flag.CF), flag(Flag.ZF)); break;
    case 4: v = flag(Flag.SF); break;
    case 5: v = flag(Flag.PF); break;
    case 6: v = b.xor(flag(Flag.SF), flag(Flag.OF)); break;
    default: v = b.or(flag(Flag.ZF), b.xor(flag(Flag.SF), flag(Flag.OF))); break;
  }
  return cc & 1 ? b.xor(v, b.k(1)) : v;
}
