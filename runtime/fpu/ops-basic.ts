/**
 * x87 data transfer, arithmetic and comparison instructions: FLD/FILD/FBLD,
 * FST(P)/FIST(P)/FISTTP/FBSTP, FXCH, FCMOVcc, the constants, FCHS/FABS,
 * FADD…FDIVR in every operand form, FCOM/FUCOM/FICOM (and P/PP), FCOMI
 * and FUCOMI (and P), FTST, FXAM (SDM vol. 2, each instruction's page).
 */
import { Flag } from '../../translator/semantics/backend.js';
import { add, denormal, div, mul } from './arith.js';
import { LN2, LOG10_2, LOG2_10, LOG2E, PI, FRAC } from './constants.js';
import { bitLength, classify, Env, exponentOf, type F80, isNaN, Kind, quiet, roundExtended } from './float80.js';
import {
  enterX87, finish, memRef, overflow, pop, probeStore, push, pushChecked, recordPointers, type Routine, setCc, setSt, st, underflow,
} from './exec.js';
import { fetch, indefiniteBytes, memoryOperand, store, storeBytes, valueOf } from './operand.js';
import { Sw } from './state.js';

// ---------------------------------------------------------------------------
// Loads and stores
// ---------------------------------------------------------------------------

/** FLD m32fp/m64fp/m80fp, FLD ST(i), FILD, FBLD. C1 = 1 on stack overflow, else 0. */
const fld: Routine = (b, i) => {
  const f = enterX87(b);
  const m = memoryOperand(i);
  const fetched = m ? fetch(b, m.op, m.spec) : undefined;
  f.sw &= ~Sw.C1;
  const src = fetched ? -1 : (i.operands[0] as { index: number }).index;
  if (src >= 0 && f.isEmpty(src)) {
    // An empty source is a stack underflow, whatever the register the push fills.
    const r = underflow(f);
    if (r) push(f, r);
  } else if (!f.isEmpty(7)) {
    const r = overflow(f);
    if (r) push(f, r);
  } else if (fetched) {
    const env = new Env(f.cw);
    const v0 = valueOf(env, fetched);
    let v = v0;
    // A denormal single or double raises DE, but is loaded even when DE is unmasked (as on the host).
    if (v) denormal(env, Kind.Normal);
    // A single or double SNaN loads quieted (IE raised); FLD m80fp loads any bits as they are.
    if (v && fetched.spec !== 'm80fp' && classify(v) === Kind.SNaN) v = quiet(v);
    f.sw |= env.flags;
    if (v) push(f, v);
  } else {
    push(f, st(f, src));
  }
  recordPointers(b, i, f, fetched?.ref);
};

/**
 * FST/FSTP (real, integer, BCD; memory or ST(i)) and FISTTP. A memory
 * destination is checked for writing first: the CPU faults on it even
 * when an unmasked exception then leaves it unwritten.
 */
function storeRoutine(popAfter: boolean, truncate: boolean): Routine {
  return (b, i) => {
    const f = enterX87(b);
    const m = memoryOperand(i);
    if (!m) {
      const dst = (i.operands[0] as { index: number }).index;
      f.sw &= ~Sw.C1;
      if (f.isEmpty(0)) {
        const r = underflow(f);
        if (!r) { recordPointers(b, i, f); return; }
        setSt(f, dst, r);
      } else {
        setSt(f, dst, st(f, 0));
      }
      if (popAfter) pop(f);
      recordPointers(b, i, f);
      return;
    }
    const ref = memRef(b, m.op);
    probeStore(b, ref, m.op.size);
    let bytes: Uint8Array | null;
    if (f.isEmpty(0)) {
      bytes = underflow(f) ? indefiniteBytes(m.spec) : null;
    } else {
      const env = new Env(f.cw);
      bytes = storeBytes(env, st(f, 0), m.spec, truncate);
      finish(f, env);
    }
    if (bytes) store(b, ref, bytes);
    if (bytes && popAfter) pop(f);
    recordPointers(b, i, f, ref);
  };
}

/**
 * FSTP1 (D9 D8+i, an undocumented alias of FSTP ST(i)): as FSTP, but an
 * empty ST(0) is no stack underflow on the host: nothing is written, the
 * stack is popped.
 */
const fstp1: Routine = (b, i) => {
  const f = enterX87(b);
  if (!f.isEmpty(0)) {
    BASIC_ROUTINES.fstp!(b, i);
    return;
  }
  f.sw &= ~Sw.C1;
  pop(f);
  recordPointers(b, i, f);
};

/** FXCH ST(i): an empty operand reads as the indefinite when IE is masked. */
const fxch: Routine = (b, i) => {
  const f = enterX87(b);
  const k = (i.operands[0] as { index: number }).index;
  f.sw &= ~Sw.C1;
  let a = st(f, 0), c = st(f, k);
  if (f.isEmpty(0) || f.isEmpty(k)) {
    const r = underflow(f);
    if (!r) { recordPointers(b, i, f); return; }
    if (f.isEmpty(0)) a = r;
    if (f.isEmpty(k)) c = r;
  }
  setSt(f, 0, c);
  setSt(f, k, a);
  recordPointers(b, i, f);
};

/** FCMOVcc ST(0), ST(i), by the Jcc condition code it tests. C1 is left alone (the host does). */
function fcmov(cc: number): Routine {
  return (b, i) => {
    const f = enterX87(b);
    const k = (i.operands[1] as { index: number }).index;
    if (f.isEmpty(0) || f.isEmpty(k)) {
      // Stack underflow: the masked response replaces ST(0) whatever the condition.
      const r = underflow(f);
      if (r) setSt(f, 0, r);
    } else if (b.cond(cc)) {
      setSt(f, 0, st(f, k));
    }
    recordPointers(b, i, f);
  };
}

/** The FLDxx constants by ModRM byte, in 256-bit fixed point (FLD1 and FLDZ are exact). */
const CONSTANTS: Readonly<Record<number, bigint>> = {
  0xe8: 1n << BigInt(FRAC), 0xe9: LOG2_10, 0xea: LOG2E, 0xeb: PI, 0xec: LOG10_2, 0xed: LN2, 0xee: 0n,
};

/** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: rounded to 64 bits by RC, no precision exception. */
const fldconst: Routine = (b, i) => {
  const f = enterX87(b);
  f.sw &= ~Sw.C1;
  const c = CONSTANTS[i.modrm]!;
  const env = new Env(f.cw);
  // 1 and 0 are exact; the others are irrational, so their fixed-point value is inexact below its last bit.
  pushChecked(f, c === 0n ? { sign: 0, exp: 0, sig: 0n } : roundExtended(env, 0, c, -FRAC, i.modrm !== 0xe8, 64));
  recordPointers(b, i, f);
};

/** FCHS, FABS: sign bit only, no exception but stack underflow. */
function signOp(op: (v: F80) => F80): Routine {
  return (b, i) => {
    const f = enterX87(b);
    f.sw &= ~Sw.C1;
    if (f.isEmpty(0)) {
      const r = underflow(f);
      if (r) setSt(f, 0, r);
    } else {
      setSt(f, 0, op(st(f, 0)));
    }
    recordPointers(b, i, f);
  };
}

// ---------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------

type Binary = (env: Env, a: F80, b: F80) => F80 | null;

const OPS: Readonly<Record<string, Binary>> = {
  fadd: (env, a, c) => add(env, a, c, false),
  fsub: (env, a, c) => add(env, a, c, true),
  fsubr: (env, a, c) => add(env, c, a, true),
  fmul: (env, a, c) => mul(env, a, c),
  fdiv: (env, a, c) => div(env, a, c),
  fdivr: (env, a, c) => div(env, c, a),
};

/**
 * One arithmetic instruction: dest = dest op src, where the forms are
 * ST(0) op mem, ST(0) op ST(i), and ST(i) op ST(0) (P: then pop).
 */
function arithmetic(name: string, popAfter: boolean): Routine {
  const op = OPS[name]!;
  return (b, i) => {
    const f = enterX87(b);
    const m = memoryOperand(i);
    const fetched = m ? fetch(b, m.op, m.spec) : undefined;
    const dst = m ? 0 : (i.operands[0] as { index: number }).index;
    const srcIndex = m ? -1 : (i.operands[1] as { index: number }).index;
    if (f.isEmpty(dst) || (srcIndex >= 0 && f.isEmpty(srcIndex))) {
      const r = underflow(f);
      if (r) {
        setSt(f, dst, r);
        if (popAfter) pop(f);
      }
      recordPointers(b, i, f, fetched?.ref);
      return;
    }
    const env = new Env(f.cw);
    const src = fetched ? valueOf(env, fetched) : st(f, srcIndex);
    const r = src ? op(env, st(f, dst), src) : null;
    finish(f, env);
    if (r) {
      setSt(f, dst, r);
      if (popAfter) pop(f);
    }
    recordPointers(b, i, f, fetched?.ref);
  };
}

// ---------------------------------------------------------------------------
// Comparisons
// ---------------------------------------------------------------------------

const enum Order { Less, Equal, Greater, Unordered }

/** Compare two finite or infinite values (zeros of either sign are equal). */
function order(a: F80, ka: Kind, c: F80, kc: Kind): Order {
  if (ka === Kind.Zero && kc === Kind.Zero) return Order.Equal;
  if (a.sign !== c.sign) {
    if (ka === Kind.Zero) return c.sign ? Order.Greater : Order.Less;
    if (kc === Kind.Zero) return a.sign ? Order.Less : Order.Greater;
    return a.sign ? Order.Less : Order.Greater;
  }
  const mag = magnitude(a, ka, c, kc);
  if (mag === 0) return Order.Equal;
  return (mag > 0) !== (a.sign === 1) ? Order.Greater : Order.Less;
}

/** Sign of |a| − |c|. */
function magnitude(a: F80, ka: Kind, c: F80, kc: Kind): number {
  if (ka === Kind.Infinity || kc === Kind.Infinity) return ka === kc ? 0 : ka === Kind.Infinity ? 1 : -1;
  if (ka === Kind.Zero) return -1;
  if (kc === Kind.Zero) return 1;
  const ea = exponentOf(a) + bitLength(a.sig), ec = exponentOf(c) + bitLength(c.sig);
  if (ea !== ec) return ea > ec ? 1 : -1;
  const d = exponentOf(a) - exponentOf(c);
  const ma = d >= 0 ? a.sig << BigInt(d) : a.sig, mc = d < 0 ? c.sig << BigInt(-d) : c.sig;
  return ma === mc ? 0 : ma > mc ? 1 : -1;
}

/**
 * Compare with the x87's exception rules: unsupported operands and SNaNs
 * raise IE, QNaNs too unless `unordered` (FUCOM*), and the result is
 * unordered; else denormals raise DE. The result is delivered even when
 * the exception is unmasked (the host does so); `env.flags & ~cw` tells
 * the caller not to pop then.
 */
function compare(env: Env, a: F80, c: F80, unorderedOk: boolean): Order {
  const ka = classify(a), kc = classify(c);
  if (ka === Kind.Unsupported || kc === Kind.Unsupported || isNaN(ka) || isNaN(kc)) {
    const signal = ka === Kind.Unsupported || kc === Kind.Unsupported || ka === Kind.SNaN || kc === Kind.SNaN || !unorderedOk;
    if (signal) env.raise(Sw.IE);
    return Order.Unordered;
  }
  denormal(env, ka, kc);
  return order(a, ka, c, kc);
}

/** An unmasked exception happened (the popping forms then leave the stack alone). */
function unmasked(env: Env): boolean {
  return (env.flags & ~env.cw & Sw.EXCEPTIONS) !== 0;
}

/** C3 C2 C0 of a comparison. */
const CC_OF: readonly number[] = [Sw.C0, Sw.C3, 0, Sw.C3 | Sw.C2 | Sw.C0];
const CC3 = Sw.C3 | Sw.C2 | Sw.C0;

/** FCOM/FCOMP/FCOMPP/FICOM/FICOMP/FUCOM/FUCOMP/FUCOMPP/FTST. */
function fcom(pops: number, unorderedOk: boolean, zero = false): Routine {
  return (b, i) => {
    const f = enterX87(b);
    const m = memoryOperand(i);
    const fetched = m ? fetch(b, m.op, m.spec) : undefined;
    const k = zero || m ? -1 : i.operands.length ? (i.operands[0] as { index: number }).index : 1;
    f.sw &= ~Sw.C1;
    if (f.isEmpty(0) || (k >= 0 && f.isEmpty(k))) {
      // Unordered even when the invalid exception is unmasked; the pops need it masked.
      const masked = underflow(f) !== null;
      setCc(f, CC3, CC3);
      if (masked) for (let n = 0; n < pops; n++) pop(f);
      recordPointers(b, i, f, fetched?.ref);
      return;
    }
    const env = new Env(f.cw);
    const other = zero ? { sign: 0, exp: 0, sig: 0n } : fetched ? valueOf(env, fetched) : st(f, k);
    const o = other ? compare(env, st(f, 0), other, unorderedOk) : Order.Unordered;
    f.sw |= env.flags;
    setCc(f, CC3, CC_OF[o]!);
    if (!unmasked(env)) for (let n = 0; n < pops; n++) pop(f);
    recordPointers(b, i, f, fetched?.ref);
  };
}

/** ZF PF CF of a comparison (FCOMI). */
const EFLAGS_OF: readonly number[] = [Flag.CF, Flag.ZF, 0, Flag.ZF | Flag.PF | Flag.CF];

/** FCOMI/FCOMIP/FUCOMI/FUCOMIP: the result in ZF, PF, CF; OF, SF, AF cleared; C1 left alone but for a stack fault. */
function fcomi(popAfter: boolean, unorderedOk: boolean): Routine {
  return (b, i) => {
    const f = enterX87(b);
    const k = (i.operands[1] as { index: number }).index;
    const all = Flag.OF | Flag.SF | Flag.ZF | Flag.AF | Flag.PF | Flag.CF;
    if (f.isEmpty(0) || f.isEmpty(k)) {
      // Unordered even when the invalid exception is unmasked; the pop needs it masked.
      const masked = underflow(f) !== null;
      b.setEflags(Flag.ZF | Flag.PF | Flag.CF, all);
      if (masked && popAfter) pop(f);
      recordPointers(b, i, f);
      return;
    }
    const env = new Env(f.cw);
    const o = compare(env, st(f, 0), st(f, k), unorderedOk);
    f.sw |= env.flags;
    b.setEflags(EFLAGS_OF[o]!, all);
    if (popAfter && !unmasked(env)) pop(f);
    recordPointers(b, i, f);
  };
}

/** FXAM: the class of ST(0) in C3 C2 C0, its sign in C1 (also for an empty register). */
const fxam: Routine = (b, i) => {
  const f = enterX87(b);
  const v = st(f, 0);
  let cc: number;
  if (f.isEmpty(0)) cc = Sw.C3 | Sw.C0;
  else {
    switch (classify(v)) {
      case Kind.Unsupported: cc = 0; break;
      case Kind.QNaN: case Kind.SNaN: cc = Sw.C0; break;
      case Kind.Normal: cc = Sw.C2; break;
      case Kind.Infinity: cc = Sw.C2 | Sw.C0; break;
      case Kind.Zero: cc = Sw.C3; break;
      default: cc = Sw.C3 | Sw.C2; break;
    }
  }
  setCc(f, Sw.CC, cc | (v.sign ? Sw.C1 : 0));
  recordPointers(b, i, f);
};

export const BASIC_ROUTINES: Record<string, Routine> = {
  fld,
  fst: storeRoutine(false, false),
  fstp: storeRoutine(true, false),
  fstp1: fstp1,
  fisttp: storeRoutine(true, true),
  fxch,
  fcmovb: fcmov(2), fcmovnb: fcmov(3), fcmove: fcmov(4), fcmovne: fcmov(5),
  fcmovbe: fcmov(6), fcmovnbe: fcmov(7), fcmovu: fcmov(10), fcmovnu: fcmov(11),
  fldconst,
  fchs: signOp((v) => ({ sign: v.sign ^ 1, exp: v.exp, sig: v.sig })),
  fabs: signOp((v) => ({ sign: 0, exp: v.exp, sig: v.sig })),
  ...Object.fromEntries(Object.keys(OPS).flatMap((n) => [[n, arithmetic(n, false)], [`${n}p`, arithmetic(n, true)]])),
  fcom: fcom(0, false),
  fcomp: fcom(1, false),
  fcompp: fcom(2, false),
  fucom: fcom(0, true),
  fucomp: fcom(1, true),
  fucompp: fcom(2, true),
  ftst: fcom(0, false, true),
  fcomi: fcomi(false, false),
  fcomip: fcomi(true, false),
  fucomi: fcomi(false, true),
  fucomip: fcomi(true, true),
  fxam,
};
