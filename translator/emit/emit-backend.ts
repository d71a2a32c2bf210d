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
  /** (seg) -> selector */
  sreg: { name: 'sreg', params: 1, results: true },
} as const;

/** Raised at translation time for an instruction the emitter cannot translate (it is left to the interpreter). */
export class Untranslatable extends Error {}

/** What the emitter knows statically about the flags. */
interface FlagTracking {
  /** The last flag operation of this block, if any: its flags are computed from these locals. */
  lazy: { op: FlagOp; size: Size; res: Expr; a: Expr; b: Expr; mask: number } | null;
  /** flagsLocal holds every EFLAGS bit not covered by `lazy`. */
  known: boolean;
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

const FLAG_BITS: ReadonlyArray<[Flag, number]> = [[Flag.CF, 0], [Flag.PF, 2], [Flag.AF, 4], [Flag.ZF, 6], [Flag.SF, 7], [Flag.OF, 11]];

export class EmitBackend implements Backend<Expr> {
  readonly mode: ModeInfo;
  readonly w: WasmModule;
  private readonly m: binaryen.Module;
  readonly regLocals: number[];
  /** EIP after the current instruction (jump() changes it). */
  readonly nextLocal: number;
  /** Set by a slow store that invalidated translated code. */
  readonly smcLocal: number;
  private readonly flagsLocal: number;
  private stmts: Expr[] = [];
  private flags: FlagTracking = { lazy: null, known: false, dirty: false };
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
    this.flagsLocal = o.mod.newLocal();
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

  /** Materialise a value into a fresh local; returns a read of it. */
  private val(e: Expr): Expr {
    const l = this.w.newLocal();
    this.emit(this.w.set(l, e));
    return this.w.get(l);
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
    this.emit(this.w.set(this.nextLocal, this.k(i.nextEip)));
  }

  /** Block start: the state block holds the flags. */
  beginBlock(): void {
    this.flags = { lazy: null, known: false, dirty: false };
  }

  /** Registers from the state block into their locals. */
  loadRegisters(): Expr[] {
    return this.regLocals.map((l, r) => this.w.set(l, this.loadState(StateSlot.Regs + r)));
  }

  /** Registers back to the state block. */
  storeRegisters(): Expr[] {
    return this.regLocals.map((l, r) => this.storeState(StateSlot.Regs + r, this.w.get(l)));
  }

  // --- values --------------------------------------------------------------

  k(n: number): Expr { return this.m.i32.const(n | 0); }
  add(a: Expr, b: Expr): Expr { return this.val(this.m.i32.add(a, b)); }
  sub(a: Expr, b: Expr): Expr { return this.val(this.m.i32.sub(a, b)); }
  mul(a: Expr, b: Expr): Expr { return this.val(this.m.i32.mul(a, b)); }
  and(a: Expr, b: Expr): Expr { return this.val(this.m.i32.and(a, b)); }
  or(a: Expr, b: Expr): Expr { return this.val(this.m.i32.or(a, b)); }
  xor(a: Expr, b: Expr): Expr { return this.val(this.m.i32.xor(a, b)); }
  not(a: Expr): Expr { return this.val(this.m.i32.xor(a, this.k(-1))); }
  neg(a: Expr): Expr { return this.val(this.m.i32.sub(this.k(0), a)); }
  shl(a: Expr, n: Expr): Expr { return this.val(this.m.i32.shl(a, n)); }
  shrU(a: Expr, n: Expr): Expr { return this.val(this.m.i32.shr_u(a, n)); }
  shrS(a: Expr, n: Expr): Expr { return this.val(this.m.i32.shr_s(a, n)); }
  rotl(a: Expr, n: Expr): Expr { return this.val(this.m.i32.rotl(a, n)); }
  rotr(a: Expr, n: Expr): Expr { return this.val(this.m.i32.rotr(a, n)); }
  eq(a: Expr, b: Expr): Expr { return this.val(this.m.i32.eq(a, b)); }
  ne(a: Expr, b: Expr): Expr { return this.val(this.m.i32.ne(a, b)); }
  ltU(a: Expr, b: Expr): Expr { return this.val(this.m.i32.lt_u(a, b)); }
  ltS(a: Expr, b: Expr): Expr { return this.val(this.m.i32.lt_s(a, b)); }
  leU(a: Expr, b: Expr): Expr { return this.val(this.m.i32.le_u(a, b)); }
  leS(a: Expr, b: Expr): Expr { return this.val(this.m.i32.le_s(a, b)); }
  eqz(a: Expr): Expr { return this.val(this.m.i32.eqz(a)); }
  select(c: Expr, a: Expr, b: Expr): Expr { return this.val(this.m.select(c, a, b)); }
  zx(a: Expr, size: Size): Expr {
    return size === 4 ? a : this.val(this.m.i32.and(a, this.k(size === 1 ? 0xff : 0xffff)));
  }
  sx(a: Expr, size: Size): Expr {
    if (size === 4) return a;
    const sh = this.k(size === 1 ? 24 : 16);
    return this.val(this.m.i32.shr_s(this.m.i32.shl(a, sh), sh));
  }
  clz(a: Expr): Expr { return this.val(this.m.i32.clz(a)); }
  ctz(a: Expr): Expr { return this.val(this.m.i32.ctz(a)); }
  popcnt(a: Expr): Expr { return this.val(this.m.i32.popcnt(a)); }
  bswap(a: Expr): Expr {
    const m = this.m;
    const x = this.val(a);
    return this.val(m.i32.or(
      m.i32.or(m.i32.shl(x, this.k(24)), m.i32.shl(m.i32.and(x, this.k(0xff00)), this.k(8))),
      m.i32.or(m.i32.and(m.i32.shr_u(x, this.k(8)), this.k(0xff00)), m.i32.shr_u(x, this.k(24))),
    ));
  }

  mulWide(a: Expr, b: Expr, signed: boolean): { lo: Expr; hi: Expr } {
    const m = this.m;
    const ext = (v: Expr): Expr => (signed ? m.i64.extend_s(v) : m.i64.extend_u(v));
    const p = m.i64.mul(ext(a), ext(b));
    const pl = this.val64(p);
    return { lo: this.val(m.i32.wrap(pl)), hi: this.val(m.i32.wrap(m.i64.shr_u(pl, m.i64.const(32n)))) };
  }

  private val64(e: Expr): Expr {
    const l = this.newLocal64();
    this.emit(this.m.local.set(l, e));
    return this.m.local.get(l, binaryen.i64);
  }

  private newLocal64(): number {
    return this.w.newLocal64();
  }

  divide(hi: Expr, lo: Expr, divisor: Expr, size: Size, signed: boolean): { q: Expr; r: Expr; fault: Expr } {
    const m = this.m;
    const bits = size * 8;
    const k64 = (n: number): Expr => m.i64.const(BigInt(n));
    // Dividend (2*size bytes) and divisor as i64 with the instruction's signedness.
    let n: Expr;
    if (size === 4) {
      n = m.i64.or(m.i64.shl(m.i64.extend_u(hi), k64(32)), m.i64.extend_u(lo));
    } else {
      const mask = (1 << bits) - 1;
      const u32 = m.i32.or(m.i32.shl(m.i32.and(hi, this.k(mask)), this.k(bits)), m.i32.and(lo, this.k(mask)));
      n = signed ? (size === 2 ? m.i64.extend_s(u32) : m.i64.extend_s(m.i32.shr_s(m.i32.shl(u32, this.k(16)), this.k(16)))) : m.i64.extend_u(u32);
    }
    const nn = this.val64(n);
    const dv = signed ? m.i64.extend_s(size === 4 ? divisor : m.i32.shr_s(m.i32.shl(divisor, this.k(32 - bits)), this.k(32 - bits)))
      : m.i64.extend_u(size === 4 ? divisor : m.i32.and(divisor, this.k((1 << bits) - 1)));
    const d = this.val64(dv);
    const zero = this.val(m.i64.eqz(d));
    // A divisor that cannot trap: 1 for 0; -1 is done as a negation (INT64_MIN / -1 traps in Wasm).
    const safe = this.val64(m.select(zero, k64(1), d));
    let q: Expr, r: Expr;
    if (signed) {
      const minusOne = this.val(m.i64.eq(safe, k64(-1)));
      q = this.val64(m.select(minusOne, m.i64.sub(k64(0), nn), m.i64.div_s(nn, m.select(minusOne, k64(1), safe))));
      r = this.val64(m.select(minusOne, k64(0), m.i64.rem_s(nn, m.select(minusOne, k64(1), safe))));
    } else {
      q = this.val64(m.i64.div_u(nn, safe));
      r = this.val64(m.i64.rem_u(nn, safe));
    }
    // Quotient range: unsigned < 2^bits; signed in [-2^(bits-1), 2^(bits-1)).
    const out = signed
      ? m.i32.or(m.i64.gt_s(q, k64(2 ** (bits - 1) - 1)), m.i64.lt_s(q, k64(-(2 ** (bits - 1)))))
      : m.i64.gt_u(q, k64(2 ** bits - 1));
    const fault = this.val(m.i32.or(zero, out));
    return { q: this.val(m.i32.wrap(q)), r: this.val(m.i32.wrap(r)), fault };
  }

  // --- registers -------------------------------------------------------------

  reg(r: number, size: Size): Expr {
    const m = this.m;
    if (size === 4) return this.val(this.w.get(this.regLocals[r]!));
    if (size === 2) return this.val(m.i32.and(this.w.get(this.regLocals[r]!), this.k(0xffff)));
    if (r < 4) return this.val(m.i32.and(this.w.get(this.regLocals[r]!), this.k(0xff)));
    return this.val(m.i32.and(m.i32.shr_u(this.w.get(this.regLocals[r - 4]!), this.k(8)), this.k(0xff)));
  }

  setReg(r: number, size: Size, v: Expr): void {
    const m = this.m;
    if (size === 4) { this.emit(this.w.set(this.regLocals[r]!, v)); return; }
    const home = size === 1 && r >= 4 ? this.regLocals[r - 4]! : this.regLocals[r]!;
    const [keep, shift, mask] = size === 2 ? [~0xffff, 0, 0xffff] : r < 4 ? [~0xff, 0, 0xff] : [~0xff00, 8, 0xff];
    let part = m.i32.and(v, this.k(mask));
    if (shift) part = m.i32.shl(part, this.k(shift));
    this.emit(this.w.set(home, m.i32.or(m.i32.and(this.w.get(home), this.k(keep)), part)));
  }

  sreg(s: Seg): Expr {
    return this.val(this.w.call(IMPORTS.sreg.name, [this.k(s)], true));
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
    return this.flushFlagsStmts();
  }

  /** The TLB fast-path test for `size` bytes at linear `lin` (a local read): physical address or the slow path. */
  private tlbHit(lin: Expr, size: number, access: Access): { hit: Expr; pa: Expr } {
    const m = this.m;
    const e = this.val(m.i32.load(this.o.tlbBase, 4, m.i32.shl(m.i32.shr_u(lin, this.k(12)), this.k(2))));
    const mask = tlbMask(access, this.mode.cpl === 3);
    const hit = m.i32.and(
      m.i32.eq(m.i32.and(e, this.k(mask)), this.k(TLB_VALID)),
      m.i32.le_u(m.i32.and(lin, this.k(0xfff)), this.k(0x1000 - size)),
    );
    return { hit, pa: m.i32.xor(m.i32.and(e, this.k(~0xfff)), lin) };
  }

  load(s: Seg, offset: Expr, size: Size): Expr {
    const w = this.w;
    const i = this.insn!;
    const slow = (): Expr => w.block([...this.beforeRuntimeCall(),
      w.call(IMPORTS.slowLoad.name, [this.k(s), offset, this.k(size), this.k(i.eip), this.k(this.left)], true)], true);
    if (!this.flat(s)) return this.val(slow());
    const lin = this.val(offset);
    const { hit, pa } = this.tlbHit(lin, size, Access.Read);
    return this.val(w.if_(hit, w.load(0, size, pa), slow()));
  }

  store(s: Seg, offset: Expr, size: Size, v: Expr): void {
    const w = this.w;
    const i = this.insn!;
    this.stored = true;
    const slow = (): Expr => w.block([...this.beforeRuntimeCall(),
      w.set(this.smcLocal, w.m.i32.or(w.get(this.smcLocal),
        w.call(IMPORTS.slowStore.name, [this.k(s), offset, this.k(size), v, this.k(i.eip), this.k(this.left)], true)))]);
    if (!this.flat(s)) { this.emit(slow()); return; }
    const lin = this.val(offset);
    const val = this.val(v);
    const { hit, pa } = this.tlbHit(lin, size, Access.Write);
    this.emit(w.if_(hit, w.store(0, size, pa, val), slow()));
  }

  probeWrite(s: Seg, offset: Expr, len: number): void {
    const w = this.w;
    const i = this.insn!;
    const slow = (): Expr => w.block([...this.beforeRuntimeCall(),
      w.call(IMPORTS.slowProbe.name, [this.k(s), offset, this.k(len), this.k(i.eip), this.k(this.left)], false)]);
    if (!this.flat(s) || len > 4096) { this.emit(slow()); return; }
    const lin = this.val(offset);
    const last = this.val(this.m.i32.add(lin, this.k(len - 1)));
    const a = this.tlbHit(lin, 1, Access.Write);
    const b = this.tlbHit(last, 1, Access.Write);
    this.emit(w.if_(this.m.i32.and(a.hit, b.hit), w.nop(), slow()));
  }

  // --- control -----------------------------------------------------------------

  jump(target: Expr): void {
    if (this.o.csLimit !== 0xffffffff) {
      this.if_(this.val(this.m.i32.gt_u(target, this.k(this.o.csLimit))), () => this.raise(13, 0));
    }
    this.emit(this.w.set(this.nextLocal, target));
  }

  if_(c: Expr, then: () => void, otherwise?: () => void): void {
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
    const same = (x: FlagTracking): boolean => x.known === entry.known && (x.lazy === entry.lazy || (x.lazy !== null && entry.lazy !== null &&
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
      this.flags = { lazy: null, known: true, dirty: true };
    }
    this.stmts = outer;
    this.emit(this.w.if_(c, this.w.block(t.stmts), e.stmts.length ? this.w.block(e.stmts) : undefined));
  }

  raise(vector: number, errorCode = 0): void {
    this.emit(this.w.block(this.exitStmts(this.insn!.eip, this.left, vector, errorCode, 2)));
  }

  raiseTrap(vector: number): void {
    // A trap retires the instruction: one fewer instruction to give back to the budget.
    this.emit(this.w.block(this.exitStmts(this.insn!.nextEip, this.left - 1, vector, 0, 3)));
  }

  /** Exit statements: flags and registers to the state block, EIP, budget give-back, exit code. */
  private exitStmts(eip: number, giveBack: number, vector: number, errorCode: number, code: JitExit): Expr[] {
    const m = this.m;
    return [
      ...this.flushFlagsStmts(),
      ...this.storeRegisters(),
      this.storeState(StateSlot.Eip, this.k(eip)),
      this.storeState(StateSlot.ExitArg, this.k(vector)),
      this.storeState(StateSlot.ExitError, this.k(errorCode)),
      this.storeState(StateSlot.Budget, m.i32.add(this.loadState(StateSlot.Budget), this.k(giveBack))),
      this.w.ret(this.k(code)),
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
      this.emit(this.w.set(this.flagsLocal, this.w.call(IMPORTS.flagsWord.name, [], true)));
      // flagsWord() reads the state block, which lacks this block's lazy record: fold it below.
      f.known = true;
    }
    if (f.lazy) {
      const l = f.lazy;
      const word = lazyFlagsWord(this, l.op, l.size, l.res, l.a, l.b);
      this.emit(this.w.set(this.flagsLocal, m.i32.or(m.i32.and(this.w.get(this.flagsLocal), this.k(~l.mask)), m.i32.and(word, this.k(l.mask)))));
      f.lazy = null;
      f.dirty = true;
    }
  }

  /** Statements writing the tracked flags to the state block (no change to the tracking). */
  private flushFlagsStmts(): Expr[] {
    const f = this.flags;
    const out: Expr[] = [];
    if (!f.dirty) return out;
    if (f.known) out.push(this.storeState(StateSlot.Flags, this.w.get(this.flagsLocal)));
    if (f.lazy) {
      const l = f.lazy;
      out.push(
        this.storeState(StateSlot.LazyOp, this.k(l.op)),
        this.storeState(StateSlot.LazySize, this.k(l.size)),
        this.storeState(StateSlot.LazyRes, l.res),
        this.storeState(StateSlot.LazyA, l.a),
        this.storeState(StateSlot.LazyB, l.b),
        this.storeState(StateSlot.LazyMask, this.k(l.mask)),
      );
    } else if (f.known) {
      out.push(this.storeState(StateSlot.LazyMask, this.k(0)));
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
    this.flags = { lazy: null, known: false, dirty: false };
    return s;
  }

  flagsOp(op: FlagOp, size: Size, res: Expr, a: Expr, b: Expr): void {
    const defined = flagsDefinedBy(op);
    const f = this.flags;
    // Bits the new operation leaves alone must be materialised first (CF across INC/DEC).
    if ((f.lazy && (f.lazy.mask & ~defined)) || (!f.lazy && !f.known && (0x8d5 & ~defined))) this.foldFlags();
    this.flags.lazy = { op, size, res: this.val(res), a: this.val(a), b: this.val(b), mask: defined };
    this.flags.dirty = true;
  }

  flag(fl: Flag): Expr {
    const f = this.flags;
    if (f.lazy && (f.lazy.mask & fl)) {
      const l = f.lazy;
      return this.val(lazyFlag(this, fl, l.op, l.size, l.res, l.a, l.b));
    }
    if (!f.known) this.foldFlags();
    const bit = FLAG_BITS.find(([x]) => x === fl)?.[1] ?? 31 - Math.clz32(fl);
    return this.val(this.m.i32.and(this.m.i32.shr_u(this.w.get(this.flagsLocal), this.k(bit)), this.k(1)));
  }

  setFlag(fl: Flag, v: Expr): void {
    this.foldFlags();
    const m = this.m;
    const bit = 31 - Math.clz32(fl);
    this.emit(this.w.set(this.flagsLocal, m.i32.or(m.i32.and(this.w.get(this.flagsLocal), this.k(~fl)), m.i32.shl(m.i32.and(v, this.k(1)), this.k(bit)))));
    this.flags.dirty = true;
  }

  eflags(): Expr {
    this.foldFlags();
    return this.val(this.m.i32.or(this.w.get(this.flagsLocal), this.k(2)));
  }

  setEflags(v: Expr, mask: number): void {
    this.foldFlags();
    const m = this.m;
    this.emit(this.w.set(this.flagsLocal, m.i32.and(
      m.i32.or(m.i32.or(m.i32.and(this.w.get(this.flagsLocal), this.k(~mask)), m.i32.and(v, this.k(mask))), this.k(2)),
      this.k(~0x8028))));
    this.flags.dirty = true;
  }

  cond(cc: number): Expr {
    return conditionFromFlags(this, (f) => this.flag(f), cc);
  }
}
