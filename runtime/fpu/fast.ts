/**
 * Paths that avoid the BigInt soft-float.
 *
 * Exact arithmetic (both strategies): FADD, FSUB, FSUBR, FMUL, FDIV and
 * FDIVR of normal values with normal results on 16-bit limbs (limbs.ts),
 * bit-identical to the soft-float.
 *
 * Shortcuts (both strategies, bit-exact): data movement and comparisons
 * of finite values done on the registers' 32-bit halves: FLD/FST/FSTP of
 * m32fp and m64fp, FILD of m16int and m32int, FLD ST(i), FST(P) ST(i),
 * FXCH, and the FCOM/FUCOM/FCOMI forms of registers and reals. Anything
 * special (a NaN, an infinity, a denormal, an empty register, a result
 * out of range) goes to the exact routine, which redoes the instruction
 * from the start.
 *
 * The fast strategy ('fast') adds FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR (every
 * form) and FSQRT in host f64 when RC is round-to-nearest, with results
 * rounded to single precision when PC is 24 bits. PE and C1 come from
 * error-free transformations of the f64 operation, so:
 *  - PC = 53 (double): bit-exact, flags included: only operands that are
 *    doubles take the f64 path (under PC = 53 they are, from m64fp loads
 *    and earlier results; FLDPI or FILD m64int ones are not) and only
 *    results in the double range;
 *  - PC = 24 (single): bit-exact the same way, for single operands (double
 *    rounding is innocuous for p = 24 in q = 53);
 *  - PC = 64 (the init state, Linux's default): operands are rounded to
 *    53 bits and so is the result, where the x87 keeps 64: the difference
 *    `npm run diff -- --fpu fast` reports.
 */
import type { ConcreteBackend } from '../concrete-backend.js';
import type { Instruction, MemOperand } from '../../translator/table/types.js';
import { Flag } from '../../translator/semantics/backend.js';
import { enterX87, memRef, pop, recordPointers, type Routine } from './exec.js';
import { type FpuState, Sw } from './state.js';
import { Env } from './float80.js';
import { Access } from '../mmu.js';
import { limbAdd, limbDiv, limbMul } from './limbs.js';

// Scratch for bit conversions (not state: filled before every use).
const F64 = new Float64Array(1), W64 = new Uint32Array(F64.buffer);
const F32 = new Float32Array(1), W32 = new Uint32Array(F32.buffer);

const TWO32 = 4294967296;
const MIN_NORMAL = 2 ** -1022;
/** Beyond this magnitude Dekker's split overflows: such operands take the exact routine. */
const SPLIT_LIMIT = 2 ** 995;
const SPLITTER = 134217729; // 2^27 + 1

/** 2^k for the double exponent range, exactly. */
const POW2 = Float64Array.from({ length: 2046 }, (_, k) => 2 ** (k - 1022));

/**
 * R(p) as a double, rounded to nearest (exact when its significand has at
 * most 53 bits), or NaN when it is not a finite normal value or zero in
 * the double range: the caller then takes the exact routine.
 */
export function readDouble(f: FpuState, p: number): number {
  const se = f.sexp[p]!;
  const e = (se & 0x7fff) - 16383;
  const hi = f.sig32[2 * p + 1]!, lo = f.sig32[2 * p]!;
  if (e === -16383) return (hi | lo) === 0 ? (se & 0x8000 ? -0 : 0) : NaN;
  if (hi < 0x80000000 || e < -1022 || e > 1023) return NaN;
  const v = ((hi * TWO32 + lo) * 2 ** -63) * POW2[e + 1022]!;
  return se & 0x8000 ? -v : v;
}

/** The significand of R(p) has at most 53 bits (it converts to a double exactly). */
function doubleExact(f: FpuState, p: number): boolean {
  return (f.sig32[2 * p]! & 0x7ff) === 0;
}

/**
 * R(p) holds a value the f64 path may use under precision control `pc`
 * without changing the result: at most 53 significant bits under PC = 53,
 * at most 24 under PC = 24; anything under PC = 64 (the approximation).
 */
function usable(f: FpuState, p: number, pc: number): boolean {
  if (pc === 2) return (f.sig32[2 * p]! & 0x7ff) === 0;
  if (pc === 0) return f.sig32[2 * p]! === 0 && (f.sig32[2 * p + 1]! & 0xff) === 0;
  return true;
}

/** A memory operand's value is a double (or single, under PC = 24) the f64 path may use. */
function usableValue(v: number, pc: number): boolean {
  return pc !== 0 || Math.fround(v) === v;
}

/** Write a double that is zero or normal into R(p) (valid tag); false for anything else. */
export function writeDouble(f: FpuState, p: number, v: number): boolean {
  F64[0] = v;
  const lo = W64[0]!, hi = W64[1]!;
  const e = (hi >>> 20) & 0x7ff;
  const sign = (hi >>> 31) << 15;
  if (e === 0) {
    if ((hi & 0xfffff) | lo) return false;
    f.sexp[p] = sign;
    f.sig32[2 * p] = 0;
    f.sig32[2 * p + 1] = 0;
  } else if (e === 0x7ff) {
    return false;
  } else {
    f.sexp[p] = sign | (e - 1023 + 16383);
    f.sig32[2 * p + 1] = (0x80000000 | ((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0;
    f.sig32[2 * p] = (lo << 11) >>> 0;
  }
  f.empty &= ~(1 << p);
  return true;
}

function copyReg(f: FpuState, from: number, to: number): void {
  f.sexp[to] = f.sexp[from]!;
  f.sig32[2 * to] = f.sig32[2 * from]!;
  f.sig32[2 * to + 1] = f.sig32[2 * from + 1]!;
  f.empty &= ~(1 << to);
}

/** A finite normal value (J set) or a zero; not a denormal, infinity, NaN or unsupported encoding. */
function ordinary(f: FpuState, p: number): boolean {
  const e = f.sexp[p]! & 0x7fff;
  if (e === 0) return (f.sig32[2 * p]! | f.sig32[2 * p + 1]!) === 0;
  return e !== 0x7fff && f.sig32[2 * p + 1]! >= 0x80000000;
}

// ---------------------------------------------------------------------------
// Memory operands
// ---------------------------------------------------------------------------

/**
 * The physical address of an 8-byte operand for an access (segment checks
 * of the whole operand), when its halves are adjacent on one page: its
 * offset does not wrap at the address size and it does not cross a page.
 * Else -1: the caller accesses it in two 4-byte parts, as the exact
 * routine does.
 */
function wholeQword(b: ConcreteBackend, m: ReturnType<typeof memRef>, access: Access.Read | Access.Write): number {
  const lin = b.linear(m.seg, m.ea, 8, access === Access.Write);
  if ((lin & 0xfff) > 0xff8 || ((m.ea + 4) & m.wrap) !== m.ea + 4) return -1;
  return b.mmu.translate(lin, access);
}

/** Load a 4- or 8-byte memory operand into the scratch words (segment checks of the whole operand first). */
function loadScratch(b: ConcreteBackend, op: MemOperand, words: Uint32Array): ReturnType<typeof memRef> {
  const m = memRef(b, op);
  if (op.size === 8) {
    const pa = wholeQword(b, m, Access.Read);
    if (pa >= 0) {
      words[0] = b.mem.read32(pa);
      words[1] = b.mem.read32(pa + 4);
      return m;
    }
    words[0] = b.load(m.seg, m.ea, 4);
    words[1] = b.load(m.seg, ((m.ea + 4) & m.wrap) | 0, 4);
  } else {
    words[0] = b.load(m.seg, m.ea, op.size as 2 | 4);
  }
  return m;
}

/** A memory operand as a double if it is a zero or a normal real, or an integer; NaN otherwise. */
function memoryValue(b: ConcreteBackend, i: Instruction, op: MemOperand): { v: number; ref: ReturnType<typeof memRef> } {
  const spec = i.row.operands[0]!;
  if (spec === 'm64fp') {
    const ref = loadScratch(b, op, W64);
    const e = (W64[1]! >>> 20) & 0x7ff;
    const v = F64[0]!;
    return { v: (e === 0 && v !== 0) || e === 0x7ff ? NaN : v, ref };
  }
  if (spec === 'm32fp') {
    const ref = loadScratch(b, op, W32);
    const e = (W32[0]! >>> 23) & 0xff;
    const v = F32[0]!;
    return { v: (e === 0 && v !== 0) || e === 0xff ? NaN : v, ref };
  }
  const ref = memRef(b, op);
  const v = b.load(ref.seg, ref.ea, op.size as 2 | 4);
  return { v: op.size === 2 ? (v << 16) >> 16 : v | 0, ref };
}

// ---------------------------------------------------------------------------
// Loads and stores (shortcuts)
// ---------------------------------------------------------------------------

/** FLD m32fp/m64fp, FILD m16int/m32int, FLD ST(i): a push of a value that needs no conversion work. */
export function fastLoad(exact: Routine): Routine {
  return (b, i) => {
    const op = i.operands[0]!;
    const spec = i.row.operands[0]!;
    if (op.kind === 'mem' && spec !== 'm32fp' && spec !== 'm64fp' && spec !== 'm16int' && spec !== 'm32int') return exact(b, i);
    const f = enterX87(b);
    if (!f.isEmpty(7)) return exact(b, i);
    const dst = (f.top - 1) & 7;
    if (op.kind === 'st') {
      const src = f.phys(op.index);
      if (f.isEmpty(op.index)) return exact(b, i);
      copyReg(f, src, dst);
      f.top = dst;
      f.sw &= ~Sw.C1;
      recordPointers(b, i, f);
      return;
    }
    const { v, ref } = memoryValue(b, i, op as MemOperand);
    if (v !== v || !writeDouble(f, dst, v)) return exact(b, i);
    f.top = dst;
    f.sw &= ~Sw.C1;
    recordPointers(b, i, f, ref);
  };
}

/**
 * FST/FSTP m32fp and m64fp: the significand rounded by RC with integer
 * operations on its halves (exactly what the soft-float does) while the
 * result is a normal value of the format; FST/FSTP ST(i): a copy.
 */
export function fastStore(popAfter: boolean, exact: Routine): Routine {
  return (b, i) => {
    const op = i.operands[0]!;
    if (op.kind === 'st') {
      const f = enterX87(b);
      if (f.isEmpty(0)) return exact(b, i);
      copyReg(f, f.top, f.phys(op.index));
      f.sw &= ~Sw.C1;
      if (popAfter) pop(f);
      recordPointers(b, i, f);
      return;
    }
    const spec = i.row.operands[0]!;
    if (op.kind !== 'mem' || (spec !== 'm32fp' && spec !== 'm64fp')) return exact(b, i);
    const f = enterX87(b);
    const p = f.top;
    if (f.isEmpty(0) || !ordinary(f, p)) return exact(b, i);
    const single = spec === 'm32fp';
    const se = f.sexp[p]!;
    const sign = se >>> 15;
    const hi = f.sig32[2 * p + 1]!, lo = f.sig32[2 * p]!;
    const e = (se & 0x7fff) - 16383;
    if (e === -16383) return exact(b, i); // zero: the exact routine keeps its sign rules in one place
    // Keep 24 or 53 bits (as an exact double m): drop 40 or 11 low bits, with round and sticky bits.
    let m: number, round: number, sticky: boolean;
    if (single) {
      m = hi >>> 8; round = (hi >>> 7) & 1; sticky = (hi & 0x7f) !== 0 || lo !== 0;
    } else {
      m = hi * 2097152 + (lo >>> 11); round = (lo >>> 10) & 1; sticky = (lo & 0x3ff) !== 0;
    }
    const inexact = round !== 0 || sticky;
    const rc = (f.cw >> 10) & 3;
    const up = rc === 0 ? round !== 0 && (sticky || m % 2 === 1) : rc === 3 ? false : inexact && (rc === 2) === (sign === 0);
    let exp = e;
    if (up) {
      m++;
      if (m === (single ? 0x1000000 : 2 ** 53)) { m /= 2; exp++; }
    }
    const ref = memRef(b, op as MemOperand);
    if (single) {
      if (exp < -126 || exp > 127) return exact(b, i);
      const bits = ((sign << 31) | ((exp + 127) << 23) | (m & 0x7fffff)) >>> 0;
      b.probeWrite(ref.seg, ref.ea, 4);
      b.store(ref.seg, ref.ea, 4, bits | 0);
    } else {
      if (exp < -1022 || exp > 1023) return exact(b, i);
      const high = Math.floor(m / TWO32);
      const top = ((sign << 31) | ((exp + 1023) << 20) | (high & 0xfffff)) >>> 0;
      const pa = wholeQword(b, ref, Access.Write);
      if (pa >= 0) {
        b.mem.write32(pa, (m - high * TWO32) | 0);
        b.mem.write32(pa + 4, top | 0);
      } else {
        b.probeWrite(ref.seg, ref.ea, 8);
        b.store(ref.seg, ref.ea, 4, (m - high * TWO32) | 0);
        b.store(ref.seg, ((ref.ea + 4) & ref.wrap) | 0, 4, top | 0);
      }
    }
    f.sw = (f.sw & ~Sw.C1) | (inexact ? Sw.PE : 0) | (up ? Sw.C1 : 0);
    if (popAfter) pop(f);
    recordPointers(b, i, f, ref);
  };
}

/** FXCH ST(i) of two non-empty registers: a swap of the raw registers. */
export function fastExchange(exact: Routine): Routine {
  return (b, i) => {
    const f = enterX87(b);
    const k = (i.operands[0] as { index: number }).index;
    if (f.isEmpty(0) || f.isEmpty(k)) return exact(b, i);
    const p = f.top, q = f.phys(k);
    const se = f.sexp[p]!, lo = f.sig32[2 * p]!, hi = f.sig32[2 * p + 1]!;
    copyReg(f, q, p);
    f.sexp[q] = se; f.sig32[2 * q] = lo; f.sig32[2 * q + 1] = hi;
    f.sw &= ~Sw.C1;
    recordPointers(b, i, f);
  };
}

// ---------------------------------------------------------------------------
// Comparisons (shortcuts)
// ---------------------------------------------------------------------------

/** Order of two ordinary values by their encodings: −1, 0, 1 (zeros of either sign are equal). */
function orderOf(f: FpuState, p: number, sa: number, ea: number, hia: number, loa: number): number {
  const sb = f.sexp[p]! >>> 15, eb = f.sexp[p]! & 0x7fff, hib = f.sig32[2 * p + 1]!, lob = f.sig32[2 * p]!;
  const za = ea === 0, zb = eb === 0;
  if (za && zb) return 0;
  if (sa !== sb || za || zb) {
    if (za) return sb ? 1 : -1;
    if (zb) return sa ? -1 : 1;
    return sa ? -1 : 1;
  }
  let mag = ea !== eb ? (ea > eb ? 1 : -1) : hia !== hib ? (hia > hib ? 1 : -1) : loa !== lob ? (loa > lob ? 1 : -1) : 0;
  if (sa) mag = -mag;
  return mag;
}

const CC_MASK = Sw.C3 | Sw.C2 | Sw.C0;

/**
 * FCOM/FCOMP/FCOMPP/FUCOM/FUCOMP/FUCOMPP (register and real memory forms)
 * and FCOMI/FCOMIP/FUCOMI/FUCOMIP of ordinary values: no exception is
 * possible, so QNaN rules and DE never arise.
 */
export function fastCompare(pops: number, eflags: boolean, exact: Routine): Routine {
  return (b, i) => {
    const f = enterX87(b);
    const op = i.operands[eflags ? 1 : 0];
    const p0 = f.top;
    if (f.isEmpty(0) || !ordinary(f, p0)) return exact(b, i);
    const sa = f.sexp[p0]! >>> 15, ea = f.sexp[p0]! & 0x7fff, hia = f.sig32[2 * p0 + 1]!, loa = f.sig32[2 * p0]!;
    let o: number;
    let ref: ReturnType<typeof memRef> | undefined;
    if (op && op.kind === 'mem') {
      const spec = i.row.operands[0]!;
      if (spec !== 'm32fp' && spec !== 'm64fp') return exact(b, i);
      const mv = memoryValue(b, i, op);
      ref = mv.ref;
      if (mv.v !== mv.v) return exact(b, i);
      const a = readDouble(f, p0);
      // ST(0) with more than 53 bits (or beyond the double range): the exact routine.
      if (a !== a || !doubleExact(f, p0)) return exact(b, i);
      o = a < mv.v ? -1 : a > mv.v ? 1 : 0;
    } else {
      const k = op ? (op as { index: number }).index : 1;
      if (f.isEmpty(k) || !ordinary(f, f.phys(k))) return exact(b, i);
      o = orderOf(f, f.phys(k), sa, ea, hia, loa);
    }
    if (eflags) {
      b.setEflags(o < 0 ? Flag.CF : o === 0 ? Flag.ZF : 0, Flag.OF | Flag.SF | Flag.ZF | Flag.AF | Flag.PF | Flag.CF);
    } else {
      f.sw = (f.sw & ~(CC_MASK | Sw.C1)) | (o < 0 ? Sw.C0 : o === 0 ? Sw.C3 : 0);
    }
    for (let n = 0; n < pops; n++) pop(f);
    recordPointers(b, i, f, ref);
  };
}

// ---------------------------------------------------------------------------
// Arithmetic in f64 (fast strategy)
// ---------------------------------------------------------------------------

/** The error of a rounded f64 operation: exact − result (0 when exact). */
function twoProductError(a: number, c: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLITTER * c;
  const ch = t - (t - c), cl = c - ch;
  return (((ah * ch - p) + ah * cl) + al * ch) + al * cl;
}

type F64Op = 'add' | 'sub' | 'subr' | 'mul' | 'div' | 'divr';

/**
 * One arithmetic instruction in f64: the result and, from an error-free
 * transformation, whether it is exact and which way it was rounded.
 * Null when the f64 operation cannot stand for the x87's (the exact routine then).
 */
function compute(op: F64Op, a: number, c: number, pc: number): { r: number; inexact: boolean; up: boolean } | null {
  let r: number, err: number;
  if (op === 'sub') { c = -c; op = 'add'; }
  switch (op) {
    case 'add': {
      r = a + c;
      const bb = r - a;
      err = (a - (r - bb)) + (c - bb);
      if (r === 0 && a !== 0) return null; // an exact cancellation: its zero's sign is RC's business
      break;
    }
    case 'subr': {
      r = c - a;
      const bb = r - c;
      err = (c - (r - bb)) + (-a - bb);
      if (r === 0 && a !== 0) return null;
      break;
    }
    case 'mul': {
      if (Math.abs(a) > SPLIT_LIMIT || Math.abs(c) > SPLIT_LIMIT) return null;
      r = a * c;
      if (r === 0) return a === 0 || c === 0 ? { r, inexact: false, up: false } : null;
      err = twoProductError(a, c, r);
      break;
    }
    default: {
      const [n, d] = op === 'div' ? [a, c] : [c, a];
      if (d === 0 || Math.abs(n) > SPLIT_LIMIT || Math.abs(d) > SPLIT_LIMIT) return null;
      r = n / d;
      if (r === 0) return n === 0 ? { r, inexact: false, up: false } : null;
      if (Math.abs(r) > SPLIT_LIMIT) return null;
      // n = r·d + rem exactly; the exact quotient is r + rem/d.
      const rem = (n - r * d) - twoProductError(r, d, r * d);
      err = rem / d;
      break;
    }
  }
  if (!(Math.abs(r) >= MIN_NORMAL) || !Number.isFinite(r)) return null;
  if (pc === 0) {
    const s = Math.fround(r);
    if (!Number.isFinite(s) || Math.abs(s) < 2 ** -126) return null;
    const inexact = s !== r || err !== 0;
    const up = s !== r ? Math.abs(s) > Math.abs(r) : err !== 0 && (err > 0) !== (r > 0);
    return { r: s, inexact, up };
  }
  return { r, inexact: err !== 0, up: err !== 0 && (err > 0) !== (r > 0) };
}

/** FADD…FDIVR in every operand form, in f64 under the fast strategy and round-to-nearest. */
export function f64Arithmetic(op: F64Op, popAfter: boolean, exact: Routine): Routine {
  return (b, i) => {
    const f = b.cpu.fpu;
    if (f.strategy !== 'fast' || (f.cw & 0x0c00) !== 0) return exact(b, i);
    enterX87(b);
    const op0 = i.operands[0]!;
    let dst: number, c: number;
    let ref: ReturnType<typeof memRef> | undefined;
    if (op0.kind === 'mem') {
      dst = f.top;
      if (f.isEmpty(0)) return exact(b, i);
      const mv = memoryValue(b, i, op0);
      ref = mv.ref;
      c = mv.v;
    } else {
      const k0 = (op0 as { index: number }).index, k1 = (i.operands[1] as { index: number }).index;
      if (f.isEmpty(k0) || f.isEmpty(k1)) return exact(b, i);
      dst = f.phys(k0);
      c = readDouble(f, f.phys(k1));
    }
    const a = readDouble(f, dst);
    if (a !== a || c !== c) return exact(b, i);
    const pc = (f.cw >> 8) & 3;
    if (!usable(f, dst, pc) || (op0.kind === 'mem' ? !usableValue(c, pc) : !usable(f, f.phys((i.operands[1] as { index: number }).index), pc))) return exact(b, i);
    const res = compute(op, a, c, pc);
    if (!res || !writeDouble(f, dst, res.r)) return exact(b, i);
    f.sw = (f.sw & ~Sw.C1) | (res.inexact ? Sw.PE : 0) | (res.inexact && res.up ? Sw.C1 : 0);
    if (popAfter) pop(f);
    recordPointers(b, i, f, ref);
  };
}

/** FSQRT in f64 under the fast strategy and round-to-nearest. */
export function f64Sqrt(exact: Routine): Routine {
  return (b, i) => {
    const f = b.cpu.fpu;
    if (f.strategy !== 'fast' || (f.cw & 0x0c00) !== 0) return exact(b, i);
    enterX87(b);
    const p = f.top;
    const a = f.isEmpty(0) ? NaN : readDouble(f, p);
    if (!(a > 0) || a > SPLIT_LIMIT || !usable(f, p, (f.cw >> 8) & 3)) return exact(b, i);
    let r = Math.sqrt(a);
    const rem = (a - r * r) - twoProductError(r, r, r * r); // a − r² exactly
    let inexact = rem !== 0, up = rem < 0;
    if (((f.cw >> 8) & 3) === 0) {
      const s = Math.fround(r);
      if (s !== r) { up = s > r; inexact = true; }
      r = s;
    }
    if (!writeDouble(f, p, r)) return exact(b, i);
    f.sw = (f.sw & ~Sw.C1) | (inexact ? Sw.PE : 0) | (inexact && up ? Sw.C1 : 0);
    recordPointers(b, i, f);
  };
}

// ---------------------------------------------------------------------------
// Exact arithmetic on limbs (both strategies)
// ---------------------------------------------------------------------------

/** An operand's fields: sign, biased exponent, significand halves (J set). */
const A = { sign: 0, exp: 0, hi: 0, lo: 0 }, B = { sign: 0, exp: 0, hi: 0, lo: 0 };

/** R(p) into `o` if it is a normal value (J set, exponent 1..0x7FFE). */
function normalOperand(f: FpuState, p: number, o: typeof A): boolean {
  const se = f.sexp[p]!, e = se & 0x7fff, hi = f.sig32[2 * p + 1]!;
  if (e === 0 || e === 0x7fff || hi < 0x80000000) return false;
  o.sign = se >>> 15; o.exp = e; o.hi = hi; o.lo = f.sig32[2 * p]!;
  return true;
}

/** A memory operand into `o` if it converts to a normal value (a real's normal encodings, a nonzero integer). */
function normalMemory(b: ConcreteBackend, i: Instruction, op: MemOperand, o: typeof A): ReturnType<typeof memRef> | null {
  const spec = i.row.operands[0]!;
  if (spec === 'm64fp') {
    const ref = loadScratch(b, op, W64);
    const lo = W64[0]!, hi = W64[1]!, e = (hi >>> 20) & 0x7ff;
    if (e === 0 || e === 0x7ff) return null;
    o.sign = hi >>> 31; o.exp = e - 1023 + 16383;
    o.hi = (0x80000000 | ((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0; o.lo = (lo << 11) >>> 0;
    return ref;
  }
  if (spec === 'm32fp') {
    const ref = loadScratch(b, op, W32);
    const w = W32[0]!, e = (w >>> 23) & 0xff;
    if (e === 0 || e === 0xff) return null;
    o.sign = w >>> 31; o.exp = e - 127 + 16383; o.hi = (0x80000000 | ((w & 0x7fffff) << 8)) >>> 0; o.lo = 0;
    return ref;
  }
  const ref = memRef(b, op);
  let v = b.load(ref.seg, ref.ea, op.size as 2 | 4);
  v = op.size === 2 ? (v << 16) >> 16 : v | 0;
  if (v === 0) return null;
  const m = Math.abs(v), z = Math.clz32(m);
  o.sign = v < 0 ? 1 : 0; o.exp = 16383 + 31 - z; o.hi = (m * 2 ** z) >>> 0; o.lo = 0;
  return ref;
}

/**
 * FADD, FSUB, FSUBR, FMUL, FDIV, FDIVR (every form) on normal operands
 * with a normal result, exactly, on limbs (limbs.ts); everything else goes
 * to the BigInt routine.
 */
export function limbArithmetic(op: F64Op, popAfter: boolean, exact: Routine): Routine {
  return (b, i) => {
    const f = enterX87(b);
    const op0 = i.operands[0]!;
    let dst: number;
    let ref: ReturnType<typeof memRef> | null | undefined;
    if (op0.kind === 'mem') {
      dst = f.top;
      if (f.isEmpty(0) || !normalOperand(f, dst, A)) return exact(b, i);
      ref = normalMemory(b, i, op0, B);
      if (!ref) return exact(b, i);
    } else {
      const k0 = (op0 as { index: number }).index, k1 = (i.operands[1] as { index: number }).index;
      if (f.isEmpty(k0) || f.isEmpty(k1)) return exact(b, i);
      dst = f.phys(k0);
      if (!normalOperand(f, dst, A) || !normalOperand(f, f.phys(k1), B)) return exact(b, i);
    }
    const env = new Env(f.cw);
    const r = op === 'mul' ? limbMul(env, A.sign, A.exp, A.hi, A.lo, B.sign, B.exp, B.hi, B.lo)
      : op === 'div' ? limbDiv(env, A.sign, A.exp, A.hi, A.lo, B.sign, B.exp, B.hi, B.lo)
        : op === 'divr' ? limbDiv(env, B.sign, B.exp, B.hi, B.lo, A.sign, A.exp, A.hi, A.lo)
          : op === 'subr' ? limbAdd(env, B.sign, B.exp, B.hi, B.lo, A.sign ^ 1, A.exp, A.hi, A.lo)
        : limbAdd(env, A.sign, A.exp, A.hi, A.lo, B.sign ^ (op === 'sub' ? 1 : 0), B.exp, B.hi, B.lo);
    if (!r) return exact(b, i);
    f.sexp[dst] = (r.sign << 15) | r.exp;
    f.sig32[2 * dst + 1] = r.hi;
    f.sig32[2 * dst] = r.lo;
    f.empty &= ~(1 << dst);
    f.sw = (f.sw | env.flags) & ~Sw.C1 | (env.roundedUp && (env.flags & Sw.PE) ? Sw.C1 : 0);
    if (popAfter) pop(f);
    recordPointers(b, i, f, ref ?? undefined);
  };
}
