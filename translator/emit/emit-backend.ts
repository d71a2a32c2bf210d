/**
 * The Wasm-emitting backend: `Backend<Expr>`. The same instruction
 * semantics the reference tier evaluates are run here once, at translation
 * time, and every operation becomes Wasm code.
 *
 * - Guest registers live in function locals; each value read from state
 *   (register, memory, flag) is copied into a fresh local, so a value is a
 *   snapshot that later writes cannot change (the semantics rely on it).
 * - Lazy flags are tracked at compile time: after `flagsOp` the emitter
 *   knows the operation and size statically and keeps result and operands
 *   in locals; a flag read in the same block becomes the flag's formula
 *   for that operation, and an unread flag costs nothing. The record is
 *   written to the state block at block ends and before slow paths.
 * - Memory goes through an inline TLB test (runtime/mmu.ts gives the entry
 *   format) with a call into the runtime on a miss; that call may throw a
 *   guest fault, which the function's catch_all turns into an exit.
 */
import { type Backend, Flag, FlagOp, type ModeInfo } from '../semantics/backend.js';
import { conditionFromFlags, flagsDefinedBy, lazyFlag, lazyFlagsWord } from '../semantics/flags.js';
import { type Instruction, Seg, type Size } from '../table/types.js';
import { StateSlot } from '../../runtime/cpu.js';
import { Access, tlbMask, TLB_VALID } from '../../runtime/mmu.js';
import type { Expr, WasmModule } from './wasm.js';
import binaryen from 'binaryen';

/** Why translated code returned to the dispatcher (the function's result). */
export const enum JitExit {
  /** Continue at state.Eip. */
  Continue = 0,
  /** The execution budget ran out; state.Eip is where to resume. */
  Budget = 1,
  /** A fault: vector in ExitArg, error code in ExitError, EIP of the instruction. */
  Fault = 2,
  /** A trap-class event (INT3, INTO): vector in ExitArg, EIP after the instruction. */
  Trap = 3,
  /** A runtime call threw (a guest fault or a VM exit from a device): the runtime holds it. */
  Exception = 4,
  /** The dispatcher found no translation for state.Eip (or the fetch missed the TLB): the runtime decides. */
  Miss = 5,
}

/** Runtime imports translated code may call (names and arities). */
export const IMPORTS = {
  /** (seg, offset, size, eip, left) -> value */
  slowLoad: { name: 'slowLoad', params: 5, results: true },
  /** (seg, offset, size, value, eip, left) -> 1 if code was invalidated */
  slowStore: { name: 'slowStore', params: 6, results: true },
  /** (seg, offset, len, eip, left) */
  slowProbe: { name: 'slowProbe', params: 5, results: false },
  /** () -> EFLAGS, materialised from the state block */
  flagsWord: { name: 'flagsWord', params: 0, results: true },
  /** () -> CF (0/1) from the state block, nothing materialised */
  carryFlag: { name: 'carryFlag', params: 0, results: true },
  /** (seg) -> selector */
  sreg: { name: 'sreg', params: 1, results: true },
} as const;

/**
 * A value of the emitted code: a local or a constant. Each use makes a new
 * expression node (binaryen wants a tree: a node reused in two places
 * would be rewritten under both by the optimiser).
 */
export class Val {
  constructor(readonly local: number, readonly konst: number | null = null) {}
}

/** Raised at translation time for an instruction the emitter cannot translate (it is left to the interpreter). */
export class Untranslatable extends Error {}

/** What the emitter knows statically about the flags. */
interface FlagTracking {
  /** The last flag operation of this block, if any: its flags are computed from these locals. */
  lazy: { op: FlagOp; size: Size; res: Val; a: Val; b: Val; mask: number } | null;
  /** flagsLocal holds every EFLAGS bit not covered by `lazy`. */
  known: boolean;
  /** flagsLocal's CF bit is valid (implied by `known`): INC/DEC and carry readers need only this. */
  cf: boolean;
  /** Flags changed since the last flush to the state block. */
  dirty: boolean;
}

export interface EmitOptions {
  readonly mod: WasmModule;
  readonly mode: ModeInfo;
  /** Byte address of the state block in the Wasm memory. */
  readonly stateBase: number;
  readonly tlbBase: number;
  /** Segments (bit per Seg) that are flat read/write data segments (base 0, limit 4 GiB). */
  readonly flatSegments: number;
  /** CS limit (0xFFFFFFFF: no check needed). */
  readonly csLimit: number;
}

/** State-block slots of the flags, in the order of EmitBackend.flagState. */
const FLAG_SLOTS = [StateSlot.Flags, StateSlot.LazyMask, StateSlot.LazyOp, StateSlot.LazySize, StateSlot.LazyRes, StateSlot.LazyA, StateSlot.LazyB] as const;
const enum FS { Flags = 0, Mask = 1, Op = 2, Size = 3, Res = 4, A = 5, B = 6 }

const FLAG_BITS: ReadonlyArray<[Flag, number]> = [[Flag.CF, 0], [Flag.PF, 2], [Flag.AF, 4], [Flag.ZF, 6], [Flag.SF, 7], [Flag.OF, 11]];

export class EmitBackend implements Backend<Val> {
  readonly mode: ModeInfo;
  readonly w: WasmModule;
  private readonly m: binaryen.Module;
  readonly regLocals: number[];
  /** EIP after the current instruction (jump() changes it). */
  readonly nextLocal: number;
  /** Set by a slow store that invalidated translated code. */
  readonly smcLocal: number;
  /**
   * The execution budget, kept in a local inside the region: written to the
   * state block at exits and before runtime calls (which give the
   * unexecuted instructions back when they fault).
   */
  readonly budgetLocal: number;
  private readonly flagsLocal: number;
  /**
   * The state block's flag fields, kept in locals for the whole region (as
   * the registers are): Flags, LazyMask, LazyOp, LazySize, LazyRes, LazyA,
   * LazyB. Block ends write the tracked flags here; exits and runtime calls
   * copy them to the state block.
   */
  private readonly flagState: number[];
  private stmts: Expr[] = [];
  private flags: FlagTracking = { lazy: null, known: false, cf: false, dirty: false };
  private insn: Instruction | null = null;
  /** Instructions of the block not yet retired when the current one starts (for budget accounting on faults). */
  private left = 0;
  /** The current instruction stored to memory through the slow path (needs an SMC check after it). */
  stored = false;

  constructor(private readonly o: EmitOptions) {
    this.w = o.mod;
    this.m = o.mod.m;
    this.mode = o.mode;
    this.regLocals = Array.from({ length: 8 }, () => o.mod.newLocal());
    this.nextLocal = o.mod.newLocal();
    this.smcLocal = o.mod.newLocal();
    this.budgetLocal = o.mod.newLocal();
    this.flagsLocal = o.mod.newLocal();
    this.flagState = FLAG_SLOTS.map(() => o.mod.newLocal());
  }

  // --- statement plumbing ------------------------------------------------------

  emit(...es: Expr[]): void {
    this.stmts.push(...es);
  }

  /** Take the statements emitted so far (and start a new list). */
  take(): Expr[] {
    const s = this.stmts;
    this.stmts = [];
    return s;
  }

  /** Materialise an expression into a fresh local. */
  private val(e: Expr): Val {
    const l = this.w.newLocal();
    this.emit(this.w.set(l, e));
    return new Val(l);
  }

  /** A fresh expression node reading a value. */
  x(v: Val): Expr {
    return v.konst !== null ? this.m.i32.const(v.konst) : this.w.get(v.local);
  }

  private stateAddr(slot: StateSlot): number {
    return this.o.stateBase + slot * 4;
  }

  loadState(slot: StateSlot): Expr {
    return this.m.i32.load(this.stateAddr(slot), 4, this.m.i32.const(0));
  }

  storeState(slot: StateSlot, v: Expr): Expr {
    return this.m.i32.store(this.stateAddr(slot), 4, this.m.i32.const(0), v);
  }

  /** Begin an instruction: `left` instructions of the block (this one included) have not retired. */
  beginInstruction(i: Instruction, left: number): void {
    this.insn = i;
    this.left = left;
    this.stored = false;
    this.emit(this.w.set(this.nextLocal, this.c(i.nextEip)));
  }

  /** Block start: the state block holds the flags. */
  beginBlock(): void {
    this.flags = { lazy: null, known: false, cf: false, dirty: false };
  }

  /** Registers from the state block into their locals. */
  loadRegisters(): Expr[] {
    return this.regLocals.map((l, r) => this.w.set(l, this.loadState(StateSlot.Regs + r)));
  }

  /** Registers back to the state block. */
  storeRegisters(): Expr[] {
    return this.regLocals.map((l, r) => this.storeState(StateSlot.Regs + r, this.w.get(l)));
  }

  /** The flag fields from the state block into their locals (region prologue). */
  loadFlagState(): Expr[] {
    return this.flagState.map((l, k) => this.w.set(l, this.loadState(FLAG_SLOTS[k]!)));
  }

  /** The flag fields' locals to the state block (exits, runtime calls). */
  storeFlagState(): Expr[] {
    return this.flagState.map((l, k) => this.storeState(FLAG_SLOTS[k]!, this.w.get(l)));
  }

  // --- values --------------------------------------------------------------

  k(n: number): Val { return new Val(-1, n | 0); }
  add(a: Val, b: Val): Val { return this.val(this.m.i32.add(this.x(a), this.x(b))); }
  sub(a: Val, b: Val): Val { return this.val(this.m.i32.sub(this.x(a), this.x(b))); }
  mul(a: Val, b: Val): Val { return this.val(this.m.i32.mul(this.x(a), this.x(b))); }
  and(a: Val, b: Val): Val { return this.val(this.m.i32.and(this.x(a), this.x(b))); }
  or(a: Val, b: Val): Val { return this.val(this.m.i32.or(this.x(a), this.x(b))); }
  xor(a: Val, b: Val): Val { return this.val(this.m.i32.xor(this.x(a), this.x(b))); }
  not(a: Val): Val { return this.val(this.m.i32.xor(this.x(a), this.c(-1))); }
  neg(a: Val): Val { return this.val(this.m.i32.sub(this.c(0), this.x(a))); }

  /** A constant expression node. */
  private c(n: number): Expr { return this.m.i32.const(n | 0); }
  shl(a: Val, n: Val): Val { return this.val(this.m.i32.shl(this.x(a), this.x(n))); }
  shrU(a: Val, n: Val): Val { return this.val(this.m.i32.shr_u(this.x(a), this.x(n))); }
  shrS(a: Val, n: Val): Val { return this.val(this.m.i32.shr_s(this.x(a), this.x(n))); }
  rotl(a: Val, n: Val): Val { return this.val(this.m.i32.rotl(this.x(a), this.x(n))); }
  rotr(a: Val, n: Val): Val { return this.val(this.m.i32.rotr(this.x(a), this.x(n))); }
  eq(a: Val, b: Val): Val { return this.val(this.m.i32.eq(this.x(a), this.x(b))); }
  ne(a: Val, b: Val): Val { return this.val(this.m.i32.ne(this.x(a), this.x(b))); }
  ltU(a: Val, b: Val): Val { return this.val(this.m.i32.lt_u(this.x(a), this.x(b))); }
  ltS(a: Val, b: Val): Val { return this.val(this.m.i32.lt_s(this.x(a), this.x(b))); }
  leU(a: Val, b: Val): Val { return this.val(this.m.i32.le_u(this.x(a), this.x(b))); }
  leS(a: Val, b: Val): Val { return this.val(this.m.i32.le_s(this.x(a), this.x(b))); }
  eqz(a: Val): Val { return this.val(this.m.i32.eqz(this.x(a))); }
  select(c: Val, a: Val, b: Val): Val { return this.val(this.m.select(this.x(c), this.x(a), this.x(b))); }
  zx(a: Val, size: Size): Val {
    return size === 4 ? a : this.val(this.m.i32.and(this.x(a), this.c(size === 1 ? 0xff : 0xffff)));
  }
  sx(a: Val, size: Size): Val {
    if (size === 4) return a;
    const sh = size === 1 ? 24 : 16;
    return this.val(this.m.i32.shr_s(this.m.i32.shl(this.x(a), this.c(sh)), this.c(sh)));
  }
  clz(a: Val): Val { return this.val(this.m.i32.clz(this.x(a))); }
  ctz(a: Val): Val { return this.val(this.m.i32.ctz(this.x(a))); }
  popcnt(a: Val): Val { return this.val(this.m.i32.popcnt(this.x(a))); }
  bswap(a: Val): Val {
    const m = this.m;
    const x = (): Expr => this.x(a);
    return this.val(m.i32.or(
      m.i32.or(m.i32.shl(x(), this.c(24)), m.i32.shl(m.i32.and(x(), this.c(0xff00)), this.c(8))),
      m.i32.or(m.i32.and(m.i32.shr_u(x(), this.c(8)), this.c(0xff00)), m.i32.shr_u(x(), this.c(24))),
    ));
  }

  mulWide(a: Val, b: Val, signed: boolean): { lo: Val; hi: Val } {
    const m = this.m;
    const ext = (v: Val): Expr => (signed ? m.i64.extend_s(this.x(v)) : m.i64.extend_u(this.x(v)));
    const p = this.val64(m.i64.mul(ext(a), ext(b)));
    return { lo: this.val(m.i32.wrap(this.m.local.get(p, binaryen.i64))), hi: this.val(m.i32.wrap(m.i64.shr_u(this.m.local.get(p, binaryen.i64), m.i64.const(32n)))) };
  }

  /** Materialise an i64 expression; returns the local. */
  private val64(e: Expr): number {
    const l = this.w.newLocal64();
    this.emit(this.m.local.set(l, e));
    return l;
  }

  divide(hi: Val, lo: Val, divisor: Val, size: Size, signed: boolean): { q: Val; r: Val; fault: Val } {
    const m = this.m;
    const bits = size * 8;
    const k64 = (n: number): Expr => m.i64.const(BigInt(n));
    const g64 = (l: number): Expr => m.local.get(l, binaryen.i64);
    // Dividend (2*size bytes) and divisor as i64 with the instruction's signedness.
    let n: Expr;
    if (size === 4) {
      n = m.i64.or(m.i64.shl(m.i64.extend_u(this.x(hi)), k64(32)), m.i64.extend_u(this.x(lo)));
    } else {
      const mask = (1 << bits) - 1;
      const u32 = m.i32.or(m.i32.shl(m.i32.and(this.x(hi), this.c(mask)), this.c(bits)), m.i32.and(this.x(lo), this.c(mask)));
      n = signed ? (size === 2 ? m.i64.extend_s(u32) : m.i64.extend_s(m.i32.shr_s(m.i32.shl(u32, this.c(16)), this.c(16)))) : m.i64.extend_u(u32);
    }
    const nn = this.val64(n);
    const dv = signed ? m.i64.extend_s(size === 4 ? this.x(divisor) : m.i32.shr_s(m.i32.shl(this.x(divisor), this.c(32 - bits)), this.c(32 - bits)))
      : m.i64.extend_u(size === 4 ? this.x(divisor) : m.i32.and(this.x(divisor), this.c((1 << bits) - 1)));
    const d = this.val64(dv);
    const zero = this.val(m.i64.eqz(g64(d)));
    // A divisor that cannot trap: 1 for 0; -1 is done as a negation (INT64_MIN / -1 traps in Wasm).
    const safe = this.val64(m.select(this.x(zero), k64(1), g64(d)));
    let q: number, r: number;
    if (signed) {
      const minusOne = this.val(m.i64.eq(g64(safe), k64(-1)));
      const div = this.val64(m.select(this.x(minusOne), k64(1), g64(safe)));
      q = this.val64(m.select(this.x(minusOne), m.i64.sub(k64(0), g64(nn)), m.i64.div_s(g64(nn), g64(div))));
      r = this.val64(m.select(this.x(minusOne), k64(0), m.i64.rem_s(g64(nn), g64(div))));
    } else {
      q = this.val64(m.i64.div_u(g64(nn), g64(safe)));
      r = this.val64(m.i64.rem_u(g64(nn), g64(safe)));
    }
    // Quotient range: unsigned < 2^bits; signed in [-2^(bits-1), 2^(bits-1)).
    const out = signed
      ? m.i32.or(m.i64.gt_s(g64(q), k64(2 ** (bits - 1) - 1)), m.i64.lt_s(g64(q), k64(-(2 ** (bits - 1)))))
      : m.i64.gt_u(g64(q), k64(2 ** bits - 1));
    const fault = this.val(m.i32.or(this.x(zero), out));
    return { q: this.val(m.i32.wrap(g64(q))), r: this.val(m.i32.wrap(g64(r))), fault };
  }

  // --- registers -------------------------------------------------------------

  reg(r: number, size: Size): Val {
    const m = this.m;
    if (size === 4) return this.val(this.w.get(this.regLocals[r]!));
    if (size === 2) return this.val(m.i32.and(this.w.get(this.regLocals[r]!), this.c(0xffff)));
    if (r < 4) return this.val(m.i32.and(this.w.get(this.regLocals[r]!), this.c(0xff)));
    return this.val(m.i32.and(m.i32.shr_u(this.w.get(this.regLocals[r - 4]!), this.c(8)), this.c(0xff)));
  }

  setReg(r: number, size: Size, v: Val): void {
    const m = this.m;
    if (size === 4) { this.emit(this.w.set(this.regLocals[r]!, this.x(v))); return; }
    const home = size === 1 && r >= 4 ? this.regLocals[r - 4]! : this.regLocals[r]!;
    const [keep, shift, mask] = size === 2 ? [~0xffff, 0, 0xffff] : r < 4 ? [~0xff, 0, 0xff] : [~0xff00, 8, 0xff];
    let part = m.i32.and(this.x(v), this.c(mask));
    if (shift) part = m.i32.shl(part, this.c(shift));
    this.emit(this.w.set(home, m.i32.or(m.i32.and(this.w.get(home), this.c(keep)), part)));
  }

  sreg(s: Seg): Val {
    return this.val(this.w.call(IMPORTS.sreg.name, [this.c(s)], true));
  }

  loadSeg(): void {
    throw new Untranslatable('segment load');
  }

  // --- memory ----------------------------------------------------------------

  private flat(s: Seg): boolean {
    return (this.o.flatSegments & (1 << s)) !== 0;
  }

  /** Statements that make the state block exact for a runtime call that may fault. */
  private beforeRuntimeCall(): Expr[] {
    return [...this.flushFlagsStmts(), ...this.storeFlagState(), this.budgetToState(0)];
  }

  /** state.Budget = the budget local + extra (instructions given back). */
  budgetToState(extra: number): Expr {
    const v = this.w.get(this.budgetLocal);
    return this.storeState(StateSlot.Budget, extra ? this.m.i32.add(v, this.c(extra)) : v);
  }

  /** The TLB fast-path test for `size` bytes at linear `lin`: hit condition and physical address. */
  private tlbHit(lin: Val, size: number, access: Access): { hit: Expr; pa: () => Expr } {
    const m = this.m;
    const e = this.val(m.i32.load(this.o.tlbBase, 4, m.i32.shl(m.i32.shr_u(this.x(lin), this.c(12)), this.c(2))));
    const mask = tlbMask(access, this.mode.cpl === 3);
    const hit = m.i32.and(
      m.i32.eq(m.i32.and(this.x(e), this.c(mask)), this.c(TLB_VALID)),
      m.i32.le_u(m.i32.and(this.x(lin), this.c(0xfff)), this.c(0x1000 - size)),
    );
    return { hit, pa: () => m.i32.xor(m.i32.and(this.x(e), this.c(~0xfff)), this.x(lin)) };
  }

  load(s: Seg, offset: Val, size: Size): Val {
    const w = this.w;
    const i = this.insn!;
    const slow = (): Expr => w.block([...this.beforeRuntimeCall(),
      w.call(IMPORTS.slowLoad.name, [this.c(s), this.x(offset), this.c(size), this.c(i.eip), this.c(this.left)], true)], true);
    if (!this.flat(s)) return this.val(slow());
    const { hit, pa } = this.tlbHit(offset, size, Access.Read);
    return this.val(w.if_(hit, w.load(0, size, pa()), slow()));
  }

  store(s: Seg, offset: Val, size: Size, v: Val): void {
    const w = this.w;
    const i = this.insn!;
    this.stored = true;
    const slow = (): Expr => w.block([...this.beforeRuntimeCall(),
      w.set(this.smcLocal, w.m.i32.or(w.get(this.smcLocal),
        w.call(IMPORTS.slowStore.name, [this.c(s), this.x(offset), this.c(size), this.x(v), this.c(i.eip), this.c(this.left)], true)))]);
    if (!this.flat(s)) { this.emit(slow()); return; }
    const { hit, pa } = this.tlbHit(offset, size, Access.Write);
    this.emit(w.if_(hit, w.store(0, size, pa(), this.x(v)), slow()));
  }

  probeWrite(s: Seg, offset: Val, len: number): void {
    const w = this.w;
    const i = this.insn!;
    const slow = (): Expr => w.block([...this.beforeRuntimeCall(),
      w.call(IMPORTS.slowProbe.name, [this.c(s), this.x(offset), this.c(len), this.c(i.eip), this.c(this.left)], false)]);
    if (!this.flat(s) || len > 4096) { this.emit(slow()); return; }
    const last = this.val(this.m.i32.add(this.x(offset), this.c(len - 1)));
    const a = this.tlbHit(offset, 1, Access.Write);
    const b = this.tlbHit(last, 1, Access.Write);
    this.emit(w.if_(this.m.i32.and(a.hit, b.hit), w.nop(), slow()));
  }

  // --- control -----------------------------------------------------------------

  jump(target: Val): void {
    if (this.o.csLimit !== 0xffffffff) {
      this.if_(this.val(this.m.i32.gt_u(this.x(target), this.c(this.o.csLimit))), () => this.raise(13, 0));
    }
    this.emit(this.w.set(this.nextLocal, this.x(target)));
  }

  if_(c: Val, then: () => void, otherwise?: () => void): void {
    const entry = this.flags;
    const outer = this.take();
    const run = (f: (() => void) | undefined): { stmts: Expr[]; flags: FlagTracking } => {
      this.flags = { ...entry, lazy: entry.lazy ? { ...entry.lazy } : null };
      f?.();
      return { stmts: this.take(), flags: this.flags };
    };
    const t = run(then);
    const e = run(otherwise);
    // A branch left the static flag state as it found it when the lazy record and `known` are unchanged
    // (flagsLocal itself is a runtime local: changing it in one branch only is fine).
    const same = (x: FlagTracking): boolean => x.known === entry.known && x.cf === entry.cf && (x.lazy === entry.lazy || (x.lazy !== null && entry.lazy !== null &&
      x.lazy.op === entry.lazy.op && x.lazy.res === entry.lazy.res && x.lazy.a === entry.lazy.a && x.lazy.b === entry.lazy.b &&
      x.lazy.size === entry.lazy.size && x.lazy.mask === entry.lazy.mask));
    if (same(t.flags) && same(e.flags)) {
      this.flags = { ...entry, dirty: entry.dirty || t.flags.dirty || e.flags.dirty };
    } else {
      // The branches leave the flags in different static states: bring both to "materialised in flagsLocal".
      for (const side of [t, e]) {
        this.flags = side.flags;
        this.foldFlags();
        side.stmts.push(...this.take());
      }
      this.flags = { lazy: null, known: true, cf: true, dirty: true };
    }
    this.stmts = outer;
    this.emit(this.w.if_(this.x(c), this.w.block(t.stmts), e.stmts.length ? this.w.block(e.stmts) : undefined));
  }

  raise(vector: number, errorCode = 0): void {
    this.emit(this.w.block(this.exitStmts(this.insn!.eip, this.left, vector, errorCode, JitExit.Fault)));
  }

  raiseTrap(vector: number): void {
    // A trap retires the instruction: one fewer instruction to give back to the budget.
    this.emit(this.w.block(this.exitStmts(this.insn!.nextEip, this.left - 1, vector, 0, JitExit.Trap)));
  }

  /** Exit statements: flags and registers to the state block, EIP, budget give-back, exit code. */
  private exitStmts(eip: number, giveBack: number, vector: number, errorCode: number, code: JitExit): Expr[] {
    const m = this.m;
    return [
      ...this.flushFlagsStmts(),
      ...this.storeFlagState(),
      ...this.storeRegisters(),
      this.storeState(StateSlot.Eip, this.c(eip)),
      this.storeState(StateSlot.ExitArg, this.c(vector)),
      this.storeState(StateSlot.ExitError, this.c(errorCode)),
      this.budgetToState(giveBack),
      this.w.ret(this.c(code)),
    ];
  }

  hypercall(): void {
    throw new Untranslatable('hypercall');
  }

  helper(): void {
    throw new Untranslatable('runtime helper');
  }

  // --- flags -------------------------------------------------------------------

  /** Ensure flagsLocal holds every bit (lazy folded in); afterwards nothing is lazy. */
  private foldFlags(): void {
    const f = this.flags;
    const m = this.m;
    if (!f.known) {
      // flagsWord() reads the state block, which lacks this block's lazy record: fold it below.
      // A CF this block already made concrete is newer than the state's: keep it.
      // flagsWord() works on the state block: bring it up to date, and mirror what it writes (Flags, LazyMask = 0).
      this.emit(...this.storeFlagState());
      const word = this.val(this.w.call(IMPORTS.flagsWord.name, [], true));
      this.emit(this.w.set(this.flagState[FS.Flags]!, this.x(word)), this.w.set(this.flagState[FS.Mask]!, this.c(0)));
      this.emit(this.w.set(this.flagsLocal, f.cf
        ? m.i32.or(m.i32.and(this.x(word), this.c(~1)), m.i32.and(this.w.get(this.flagsLocal), this.c(1)))
        : this.x(word)));
      f.known = true;
      f.cf = true;
    }
    if (f.lazy) {
      const l = f.lazy;
      const word = lazyFlagsWord(this, l.op, l.size, l.res, l.a, l.b);
      this.emit(this.w.set(this.flagsLocal, m.i32.or(m.i32.and(this.w.get(this.flagsLocal), this.c(~l.mask)), m.i32.and(this.x(word), this.c(l.mask)))));
      f.lazy = null;
      f.dirty = true;
    }
  }

  /** Statements writing the tracked flags to the flag-state locals (no change to the tracking). */
  private flushFlagsStmts(): Expr[] {
    const f = this.flags;
    const out: Expr[] = [];
    if (!f.dirty) return out;
    const m = this.m;
    const w = this.w;
    const fs = this.flagState;
    if (f.known) out.push(w.set(fs[FS.Flags]!, w.get(this.flagsLocal)));
    else if (f.cf) {
      out.push(w.set(fs[FS.Flags]!, m.i32.or(m.i32.and(w.get(fs[FS.Flags]!), this.c(~1)), m.i32.and(w.get(this.flagsLocal), this.c(1)))));
    }
    if (f.lazy) {
      const l = f.lazy;
      out.push(
        w.set(fs[FS.Op]!, this.c(l.op)),
        w.set(fs[FS.Size]!, this.c(l.size)),
        w.set(fs[FS.Res]!, this.x(l.res)),
        w.set(fs[FS.A]!, this.x(l.a)),
        w.set(fs[FS.B]!, this.x(l.b)),
        w.set(fs[FS.Mask]!, this.c(l.mask)),
      );
    } else if (f.known) {
      out.push(w.set(fs[FS.Mask]!, this.c(0)));
    }
    return out;
  }

  /** Statements writing the flags to the state block, keeping the static tracking (for an early exit). */
  endBlockFlagsKeep(): Expr[] {
    return this.flushFlagsStmts();
  }

  /** Block end: the state block gets the flags. */
  endBlockFlags(): Expr[] {
    const s = this.flushFlagsStmts();
    this.flags = { lazy: null, known: false, cf: false, dirty: false };
    return s;
  }

  /** Make flagsLocal's CF bit valid, as cheaply as the static state allows. */
  private needCarry(): void {
    const f = this.flags;
    if (f.lazy && (f.lazy.mask & Flag.CF)) {
      const l = f.lazy;
      const cf = lazyFlag(this, Flag.CF, l.op, l.size, l.res, l.a, l.b);
      this.emit(this.w.set(this.flagsLocal, this.m.i32.or(this.m.i32.and(this.w.get(this.flagsLocal), this.c(~1)), this.x(cf))));
    } else if (!f.known && !f.cf) {
      this.emit(...this.storeFlagState());
      this.emit(this.w.set(this.flagsLocal, this.w.call(IMPORTS.carryFlag.name, [], true)));
    }
    f.cf = true;
  }

  flagsOp(op: FlagOp, size: Size, res: Val, a: Val, b: Val): void {
    const defined = flagsDefinedBy(op);
    const f = this.flags;
    // INC and DEC keep CF: only that bit has to be made concrete first (not the whole word).
    if (defined & Flag.CF) {
      f.cf = false;
    } else if ((f.lazy && (f.lazy.mask & Flag.CF)) || (!f.lazy && !f.known && !f.cf)) {
      this.needCarry();
    }
    f.lazy = { op, size, res, a, b, mask: defined };
    f.dirty = true;
    if (!f.known) f.cf = (defined & Flag.CF) === 0 && f.cf;
  }

  flag(fl: Flag): Val {
    const f = this.flags;
    if (f.lazy && (f.lazy.mask & fl)) {
      const l = f.lazy;
      return lazyFlag(this, fl, l.op, l.size, l.res, l.a, l.b);
    }
    if (fl === Flag.CF) this.needCarry();
    else if (!f.known) this.foldFlags();
    const bit = FLAG_BITS.find(([x]) => x === fl)?.[1] ?? 31 - Math.clz32(fl);
    return this.val(this.m.i32.and(this.m.i32.shr_u(this.w.get(this.flagsLocal), this.c(bit)), this.c(1)));
  }

  setFlag(fl: Flag, v: Val): void {
    this.foldFlags();
    const m = this.m;
    const bit = 31 - Math.clz32(fl);
    this.emit(this.w.set(this.flagsLocal, m.i32.or(m.i32.and(this.w.get(this.flagsLocal), this.c(~fl)), m.i32.shl(m.i32.and(this.x(v), this.c(1)), this.c(bit)))));
    this.flags.dirty = true;
  }

  eflags(): Val {
    this.foldFlags();
    return this.val(this.m.i32.or(this.w.get(this.flagsLocal), this.c(2)));
  }

  setEflags(v: Val, mask: number): void {
    this.foldFlags();
    const m = this.m;
    this.emit(this.w.set(this.flagsLocal, m.i32.and(
      m.i32.or(m.i32.or(m.i32.and(this.w.get(this.flagsLocal), this.c(~mask)), m.i32.and(this.x(v), this.c(mask))), this.c(2)),
      this.c(~0x8028))));
    this.flags.dirty = true;
  }

  cond(cc: number): Val {
    return conditionFromFlags(this, (f) => this.flag(f), cc);
  }
}
