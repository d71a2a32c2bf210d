/**
 * The Wasm-emitting backend: `Backend<Val>`. The same instruction
 * semantics the reference tier evaluates are run here once, at translation
 * time, and every operation becomes Wasm code.
 *
 * - Guest registers live in function locals for a whole region; each value
 *   read from state (register, memory, flag) is copied into a fresh local,
 *   so a value is a snapshot that later writes cannot change (the
 *   semantics rely on it).
 * - Lazy flags (see FlagTracking): after `flagsOp` the emitter knows the
 *   operation and size statically and keeps result and operands in
 *   locals; a flag read becomes that operation's formula, and an unread
 *   flag costs nothing. Between blocks the flags travel in the region's
 *   "dynamic form" (locals laid out like the state block's lazy record,
 *   plus a second record for the CF that INC and DEC keep), so a block
 *   boundary is a few local copies, never a call; the flags the next block
 *   reads (liveness.ts) are computed at the boundary from the static
 *   operation. Every flag stays exact wherever anything can observe it: an
 *   exit computes what the state block needs on its own path; only a flag
 *   that is overwritten before any exit could see it (liveness.ts) is
 *   dropped. A compare-and-branch becomes one comparison of the operands.
 * - The EIP after an instruction is tracked statically where it can be (a
 *   constant, or one of two constants under a condition), so the region
 *   compiler branches on the condition itself.
 * - Memory goes through an inline TLB test (runtime/mmu.ts gives the entry
 *   format). On a miss, code outside loops calls into the runtime, which
 *   may fail with a guest fault: it then sets state.Raised, and the code
 *   after the call writes the registers back and returns JitExit.Exception
 *   (see raised()). Code in loops leaves the region instead (JitExit.Slow),
 *   so that no call in a loop body forces its values onto the stack.
 */
import { ARITH_FLAGS, type Backend, Flag, FlagOp, FpuPart, type FpuWord, type ModeInfo } from '../semantics/backend.js';
import { conditionFromFlags, flagsDefinedBy, lazyFlag } from '../semantics/flags.js';
import { type Instruction, Seg, type Size } from '../table/types.js';
import { CR0_EM, CR0_TS, LAZY_KIND_MASK, LAZY_KIND_OP_SHIFT, LAZY_KIND_SIZE_SHIFT, packLazyKind, STATE_BYTES, StateSlot } from '../../runtime/cpu.js';
import { FPU_SEXP_OFFSET, FPU_SIG_OFFSET, FPU_WORDS_OFFSET } from '../../runtime/fpu/state.js';
import { Access, tlbMask, TLB_VALID } from '../../runtime/mmu.js';
import { exitLabel } from './structure.js';
import type binaryen from 'binaryen';
import { type Expr, i64, type WasmModule } from './wasm.js';

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
  /**
   * An access missed the TLB fast path in a loop of translated code: the
   * runtime runs the instruction at state.Eip (which fills the TLB, or
   * faults, or reaches a device) and carries on from there. Nothing of the
   * instruction has happened yet (the semantics make every access that
   * can fault before any write).
   */
  Slow = 6,
  /**
   * A sensitive instruction translated inline (JitStrategy.sensitive
   * 'inline') needs the VMM after all (CPL > IOPL, a port the embedder
   * takes, ...): nothing of it has happened; the runtime runs the
   * instruction at state.Eip by the trap path and carries on from there.
   */
  Vmm = 7,
}

/**
 * The runtime functions translated code may call (names, arities and
 * elements of the shared function table: WasmModule.declareTableFunction).
 * The runtime puts them in the table's first RUNTIME_TABLE_SLOTS elements.
 */
export const IMPORTS = {
  /** (seg, offset, size, eip, left) -> value */
  slowLoad: { name: 'slowLoad', params: 5, results: true, slot: 0 },
  /** (seg, offset, size, value, eip, left) -> 1 if code was invalidated */
  slowStore: { name: 'slowStore', params: 6, results: true, slot: 1 },
  /** (seg, offset, len, eip, left) */
  slowProbe: { name: 'slowProbe', params: 5, results: false, slot: 2 },
  /** (seg, offset, eip, left) -> the low doubleword of 8 bytes (the high one in state.ExitArg) */
  slowLoad64: { name: 'slowLoad64', params: 4, results: true, slot: 3 },
  /** (seg, offset, lo, hi, eip, left) -> 1 if code was invalidated */
  slowStore64: { name: 'slowStore64', params: 6, results: true, slot: 4 },
  /**
   * (module, site, left): run the runtime helper of helper site `site` of
   * the module the runtime numbered `module` (its HELPER_MODULE_ID global)
   * on the state block.
   */
  helper: { name: 'helper', params: 3, results: false, slot: 5 },
  /**
   * (port, size | 8 for input, value, eip, left) -> 0 when the VMM core did
   * the port access (an input's value in state.ExitArg), 1 when the VMM must
   * act (the region leaves before the instruction: JitExit.Vmm), 2 when it
   * did the access and the device wrote translated code (the region leaves
   * after the instruction, as after a store that hit translated code).
   */
  portIo: { name: 'portIo', params: 5, results: true, slot: 6 },
  /**
   * (left) -> 0 when the VMM core gave the TSC (EDX:EAX in state.ExitError:
   * state.ExitArg), 1 when the trap path must run RDTSC (the region leaves
   * before it: JitExit.Vmm).
   */
  rdtsc: { name: 'rdtsc', params: 1, results: true, slot: 7 },
  /** (left): STI with IF = 0 retires here: the runtime records the blocking by STI exactly. */
  stiShadow: { name: 'stiShadow', params: 1, results: false, slot: 8 },
  /** (op, size, res, a, b) -> the flags a lazy record defines, at their EFLAGS positions (support module, pure). */
  flagsOf: { name: 'flagsOf', params: 5, results: true, slot: 9 },
  /** (op, size, res, a, b) -> CF (0/1) of a lazy record (support module, pure). */
  carryOf: { name: 'carryOf', params: 5, results: true, slot: 10 },
} as const;

/** Table elements the runtime functions take (IMPORTS' slots are below it). */
export const RUNTIME_TABLE_SLOTS = Object.keys(IMPORTS).length;

/** The exported global a module with helper sites reads its number from (the runtime sets it when it installs the module). */
export const HELPER_MODULE_ID = 'hid';

/**
 * A value of the emitted code: a local or a constant. Each use makes a new
 * expression node (binaryen wants a tree: a node reused in two places
 * would be rewritten under both by the optimiser).
 */
export class Val {
  constructor(readonly local: number, readonly konst: number | null = null) {}
}

type KindFieldName = 'mask' | 'op' | 'size';

/**
 * A field of a packed kind local (see DynamicLocals), read where it is
 * used: unlike other values not a snapshot. Only the flag settling and
 * flushing paths make them, and use them before they write the kind local
 * (as they do the operand locals).
 */
class KindField extends Val {
  constructor(readonly kind: number, readonly field: KindFieldName) {
    super(-2, null);
  }
}

/**
 * A call of a runtime helper in translated code: the instruction at `eip`,
 * then those of `more`, which followed it in the block with nothing in
 * between to translate (EmitBackend.helper): one call runs them all.
 */
export interface HelperSite {
  readonly eip: number;
  readonly name: string;
  readonly more: Array<{ readonly eip: number; readonly name: string }>;
}

/** Raised at translation time for an instruction the emitter cannot translate (it is left to the interpreter). */
export class Untranslatable extends Error {}

/** A flag operation known at translation time, describing the flags in `mask`. */
interface Rec {
  readonly op: FlagOp;
  readonly size: Size;
  readonly res: Val;
  readonly a: Val;
  readonly b: Val;
  readonly mask: number;
}

/**
 * Where each arithmetic flag is, as far as translation time knows. A flag's
 * value comes from the first of: a static record in `recs` whose mask has
 * it; the dynamic main record (region locals) if its runtime mask has it;
 * for CF, the dynamic CF record if its runtime mask is set; the flags word
 * local. `mainMay` and `cfMay` bound what the runtime masks can hold
 * (the masks themselves are authoritative at run time).
 */
interface FlagTracking {
  /** Newest first, disjoint masks, at most two. */
  readonly recs: readonly Rec[];
  readonly mainMay: number;
  readonly cfMay: boolean;
}

/** The EIP after the current instruction, as far as translation time knows. */
export type Next =
  | { readonly kind: 'eip'; readonly eip: number }
  | { readonly kind: 'cond'; readonly c: Val; readonly taken: number; readonly fall: number }
  | { readonly kind: 'local' };

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

/**
 * The region locals of the dynamic form: the state block's lazy record, and
 * a CF record. A record's mask, operation and size share one local, its
 * kind (packLazyKind): in a loop each is a value carried around the back edge,
 * and three of them cost two registers more than one (V8 then spills the
 * budget and guest registers in tight loops).
 */
interface DynamicLocals {
  readonly f: number;
  /** Main record: mask | op << 12 | size << 20. */
  readonly kind: number;
  readonly res: number;
  readonly a: number;
  readonly b: number;
  /** CF record: mask (0 or CF) | op << 12 | size << 20. */
  readonly ckind: number;
  readonly cres: number;
  readonly ca: number;
  readonly cb: number;
}

// A packed kind (see DynamicLocals) has StateSlot.LazyKind's layout (runtime/cpu.ts packLazyKind).

/** A lazy record as values (static or read from the dynamic locals). */
interface RecVals {
  readonly op: Val;
  readonly size: Val;
  readonly res: Val;
  readonly a: Val;
  readonly b: Val;
}

/** The dynamic form's fields as values. */
interface Form {
  readonly f: Val;
  readonly mask: Val;
  readonly main: RecVals;
  readonly cmask: Val;
  readonly cf: RecVals;
}

const NO_FLAGS: FlagTracking = { recs: [], mainMay: 0, cfMay: false };

/** A value guessed at translation time as `root` + `disp` (root: a value, a register's content, or CONSTANT_ROOT). */
interface Ident {
  readonly root: object;
  readonly disp: number;
}

/** The root of constant addresses. */
const CONSTANT_ROOT = {};

/**
 * A page a TLB lookup of the current stretch hit (see tlbAccess): the
 * linear address it was looked up for (guessed as root + disp, and the
 * value itself), the local holding the entry it found, and whether the
 * lookup was for a write. Both are locals written once in the stretch.
 */
interface KnownPage {
  readonly root: object;
  readonly disp: number;
  readonly write: boolean;
  readonly lin: Val;
  readonly entry: number;
}

/** Known pages kept per stretch (the newest). */
const TLB_REUSE_PAGES = 6;

/** The flag tracking at some point, opaque outside the emitter. */
export type FlagSnapshot = object;

/** The key of register part (r, size) in EmitBackend.parts: size 1 is AL..BH (r 0-7), size 2 AX..DI. */
function partKey(r: number, size: Size): number {
  return size === 1 ? r : 8 + r;
}

/** Bit position of a single flag. */
function bitOf(f: number): number {
  return 31 - Math.clz32(f);
}

/** The state-block slots of the eight general registers. */
const REG_SLOTS = [0, 1, 2, 3, 4, 5, 6, 7].map((r) => StateSlot.Regs + r);

/**
 * The index of a region function's raise exit (raised()) among the exits
 * its compiler places around the code, and its label (structure.ts).
 */
export const RAISE_EXIT = 2;
const RAISE_EXIT_LABEL = exitLabel(RAISE_EXIT);
/**
 * The exit every other leaving path branches to once it has written the
 * flags, the EIP and the budget (and an exit's argument) and set
 * EmitBackend.exitCodeLocal: the registers the code assigns, then that code.
 */
export const COLD_EXIT = 3;
const COLD_EXIT_LABEL = exitLabel(COLD_EXIT);

/**
 * The module's state writers: small functions that store their parameters
 * to state-block slots, one call standing for a group of stores on the
 * cold paths (a runtime call on a TLB miss, an exit other than the
 * region's shared ones). A store to the state block
 * takes 9 bytes besides its value, a parameter 2: the stores of exits and
 * slow paths were about 45% of the bytes of the modules a Linux boot
 * compiles, and our encoder and V8's compilers cost in proportion to bytes.
 */
const FLAG_SLOTS = [StateSlot.Flags, StateSlot.LazyKind, StateSlot.LazyRes, StateSlot.LazyA, StateSlot.LazyB] as const;
/**
 * A writer with `carry` takes a lazy CF record after the flags' five
 * values (its packed kind, result and operands: CARRY_PARAMS more) and
 * computes the carry into the flags word when that record's mask has CF
 * and the main record's does not, before the stores: the test and the
 * carryOf call were in line at every slow path and exit that could see a
 * CF record (about two thirds of the slow paths of a Linux boot's
 * modules), 17 instructions each. The writers with `Budget` store the
 * budget too (every runtime call's).
 */
const STATE_WRITERS = {
  flags: { name: 'wflags', slots: FLAG_SLOTS, carry: false },
  flagsBudget: { name: 'wflagsb', slots: [...FLAG_SLOTS, StateSlot.Budget], carry: false },
  flagsCarry: { name: 'wflagsc', slots: FLAG_SLOTS, carry: true },
  flagsCarryBudget: { name: 'wflagscb', slots: [...FLAG_SLOTS, StateSlot.Budget], carry: true },
  regs: { name: 'wregs', slots: REG_SLOTS, carry: false },
  exit: { name: 'wexit', slots: [StateSlot.Eip, StateSlot.Budget], carry: false },
  trap: { name: 'wtrap', slots: [StateSlot.Eip, StateSlot.Budget, StateSlot.ExitArg, StateSlot.ExitError], carry: false },
} as const;
type StateWriter = keyof typeof STATE_WRITERS;
/** The CF record's parameters of a `carry` writer (kind, result, a, b), after the flags' five. */
const CARRY_PARAMS = 4;

export class EmitBackend implements Backend<Val> {
  readonly mode: ModeInfo;
  readonly w: WasmModule;
  private readonly m: binaryen.Module;
  readonly regLocals: number[];
  /** EIP after the current instruction when it is only known at run time (`next.kind === 'local'`). */
  readonly nextLocal: number;
  /** Set by a slow store that invalidated translated code. */
  readonly smcLocal: number;
  /** The JitExit a path leaving through COLD_EXIT returns. */
  readonly exitCodeLocal: number;
  /**
   * The execution budget, kept in a local inside the region: written to the
   * state block at exits and before runtime calls (which give the
   * unexecuted instructions back when they fault).
   */
  readonly budgetLocal: number;
  private readonly d: DynamicLocals;
  private stmts: Expr[] = [];
  private flags: FlagTracking = NO_FLAGS;
  private insn: Instruction | null = null;
  /** Instructions of the block not yet retired when the current one starts (for budget accounting on faults). */
  private left = 0;
  /** Flags live after the current instruction (liveness.ts). */
  private liveAfter = ARITH_FLAGS;
  /** Flags anything may observe after the current instruction (liveness.ts): the others need no value. */
  private observableAfter = ARITH_FLAGS;
  /** The current code path has left the function (raise): what follows it in this branch is dead. */
  private terminated = false;
  next: Next = { kind: 'eip', eip: 0 };
  /**
   * The code emitted at this level of the current if's arm calls a helper:
   * the arm is the rarely run one (if_ hints the branch).
   */
  private rareArm = false;

  /** The current instruction stored to memory through the slow path (needs an SMC check after it). */
  stored = false;
  /** Helper sites of the region, in site order: the instruction's EIP (the runtime decodes it again) and the helper's name. */
  readonly helperSites: HelperSite[] = [];

  constructor(private readonly o: EmitOptions) {
    this.w = o.mod;
    this.m = o.mod.m;
    this.mode = o.mode;
    this.regLocals = Array.from({ length: 8 }, () => o.mod.newLocal());
    this.nextLocal = o.mod.newLocal();
    this.smcLocal = o.mod.newLocal();
    this.exitCodeLocal = o.mod.newLocal();
    this.budgetLocal = o.mod.newLocal();
    const l = (): number => o.mod.newLocal();
    this.d = { f: l(), kind: l(), res: l(), a: l(), b: l(), ckind: l(), cres: l(), ca: l(), cb: l() };
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
    if (v instanceof KindField) return this.kindField(v.kind, v.field);
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

  /**
   * Begin a block in the dynamic form, the flags of `fold` materialised in
   * the flags word (the predecessors computed them).
   */
  beginBlock(fold: number): void {
    this.flags = { recs: [], mainMay: ARITH_FLAGS & ~fold, cfMay: (fold & Flag.CF) === 0 };
    this.terminated = false;
    // A block can be entered from several places: nothing is known of the TLB or the registers.
    this.forgetPages();
    this.regIdent.fill(null);
    this.forgetRegisterParts();
  }

  /** Begin an instruction: `left` instructions of the block (this one included) have not retired. */
  beginInstruction(i: Instruction, left: number, liveAfter: number, observableAfter: number): void {
    this.insn = i;
    this.left = left;
    this.liveAfter = liveAfter;
    this.observableAfter = observableAfter;
    this.stored = false;
    this.next = { kind: 'eip', eip: i.nextEip };
  }

  /**
   * The registers from the state block into their locals (initSet: not an
   * assignment for storeAssignedRegisters). With `onlyUsed`, for the
   * prologue once all of the function's code is emitted: only those its
   * code reads or assigns (WasmModule.used), as another's local is never
   * looked at.
   */
  loadRegisters(onlyUsed = false): Expr[] {
    const out: Expr[] = [];
    this.regLocals.forEach((l, r) => {
      if (!onlyUsed || this.w.used(l)) out.push(this.w.initSet(l, this.loadState(StateSlot.Regs + r)));
    });
    return out;
  }

  /** Registers back to the state block: stores with `inline` (a hot path), else a call of the module's writer. */
  storeRegisters(inline = false): Expr[] {
    if (!inline) return [this.writeState('regs', this.regLocals.map((l) => this.w.get(l)))];
    return this.regLocals.map((l, r) => this.storeState(StateSlot.Regs + r, this.w.get(l)));
  }

  /**
   * Stores of the registers the function's code assigned anywhere (WasmModule.assigned), for exits
   * made after all of it is emitted: every other register's local still holds what loadRegisters()
   * read from the state block, where it still is (a runtime call that changes a register in the state
   * block, a helper's, is followed by loadRegisters()).
   */
  storeAssignedRegisters(): Expr[] {
    const out: Expr[] = [];
    this.regLocals.forEach((l, r) => {
      if (this.w.assigned(l)) out.push(this.storeState(StateSlot.Regs + r, this.w.get(l)));
    });
    return out;
  }

  /**
   * After a runtime call that may fail (a load, store or probe on the slow
   * path, a port access, a helper): if it did (state.Raised), a branch to
   * the function's raise exit (RAISE_EXIT, which the region's
   * compiler places around its code: the registers its code assigns to the
   * state block, and JitExit.Exception); the call had the flags and budget
   * stored, and the runtime put the EIP there. Not a
   * try/catch_all around the function: for every call inside a try, V8's
   * optimising compiler merges every local into the handler's state, and
   * regions have hundreds of locals (a Linux boot spent about a sixth of
   * its CPU time on it).
   */
  raised(): Expr {
    return this.w.ifUnlikely(this.loadState(StateSlot.Raised), this.w.br(RAISE_EXIT_LABEL));
  }

  /**
   * After a runtime call that may reach a device (a port, MMIO through the
   * slow path, a helper's memory operand): the budget local from the state
   * block, where the call stored it, and where the runtime sets it to 0 to
   * end the slice early (JitTier.endSliceEarly: a device raised INTR or
   * armed an earlier timer); the next budget test then leaves.
   */
  budgetFromState(): Expr {
    return this.w.set(this.budgetLocal, this.loadState(StateSlot.Budget));
  }

  /** State writers called so far (defineStateWriters defines them). */
  private readonly writersUsed = new Set<StateWriter>();

  /** A call of state writer `k` with its slots' values. */
  private writeState(k: StateWriter, args: Expr[]): Expr {
    this.writersUsed.add(k);
    return this.w.call(STATE_WRITERS[k].name, args, false);
  }

  /**
   * The flags word `word()` with CF from a lazy CF record (`cf`: its op,
   * size, result and operands) where that record's mask `cmask` has CF and
   * the main record's `mask` does not (the main record's CF takes
   * precedence): exits and runtime calls write one lazy record only.
   */
  private carriedWord(word: () => Expr, cmask: Expr, mask: Expr, cf: Expr[]): Expr {
    const m = this.m;
    return m.if(m.i32.and(m.i32.and(cmask, m.i32.xor(mask, this.c(-1))), this.c(1)),
      m.i32.or(m.i32.and(word(), this.c(~1)), this.w.call(IMPORTS.carryOf.name, cf, true)),
      word());
  }

  /** Define the state writers the region's code calls (after its function: they are functions of their own). */
  defineStateWriters(): void {
    const w = this.w;
    const m = this.m;
    for (const k of this.writersUsed) {
      const writer = STATE_WRITERS[k];
      const extra = writer.carry ? CARRY_PARAMS : 0;
      w.beginFunction(writer.slots.length + extra);
      const body: Expr[] = [];
      if (writer.carry) {
        // Parameters: word, kind, res, a, b, then the CF record's kind, res, a, b. CF from that record
        // where its mask has CF and the main record's does not (the main record's CF takes precedence).
        const ck = FLAG_SLOTS.length;
        body.push(w.set(0, this.carriedWord(() => w.get(0), w.get(ck), w.get(1), [
          m.i32.and(m.i32.shr_u(w.get(ck), this.c(LAZY_KIND_OP_SHIFT)), this.c(0xff)), m.i32.shr_u(w.get(ck), this.c(LAZY_KIND_SIZE_SHIFT)),
          w.get(ck + 1), w.get(ck + 2), w.get(ck + 3)])));
      }
      writer.slots.forEach((slot, p) => body.push(this.storeState(slot, w.get(p < FLAG_SLOTS.length || !writer.carry ? p : p + extra))));
      w.endFunction(writer.name, w.block(body), false, false);
    }
  }

  /** The dynamic form from the state block (region prologue; after a helper): no CF record. */
  loadFlagState(): Expr[] {
    const { w, d } = this;
    return [
      w.set(d.f, this.loadState(StateSlot.Flags)),
      w.set(d.kind, this.loadState(StateSlot.LazyKind)),
      w.set(d.res, this.loadState(StateSlot.LazyRes)),
      w.set(d.a, this.loadState(StateSlot.LazyA)),
      w.set(d.b, this.loadState(StateSlot.LazyB)),
      w.set(d.ckind, this.c(0)),
    ];
  }

  /** The expression for the EIP after the current instruction. */
  nextExpr(): Expr {
    const n = this.next;
    if (n.kind === 'eip') return this.c(n.eip);
    if (n.kind === 'cond') return this.m.select(this.x(n.c), this.c(n.taken), this.c(n.fall));
    return this.w.get(this.nextLocal);
  }

  // --- values --------------------------------------------------------------

  k(n: number): Val { return new Val(-1, n | 0); }
  add(a: Val, b: Val): Val { return this.noteOrigin(this.fold2(a, b, (x, y) => x + y, (m, x, y) => m.i32.add(x, y), 0), 'add', a, b); }
  sub(a: Val, b: Val): Val { return this.noteOrigin(b.konst === 0 ? a : this.fold2(a, b, (x, y) => x - y, (m, x, y) => m.i32.sub(x, y)), 'sub', a, b); }

  /**
   * Values made by a plain add or sub of two values: a flag operation
   * whose result is exactly a + b or a - b (not ADC/SBB, whose carry-in
   * makes it differ) has cheaper carry and comparison formulas.
   */
  private readonly origin = new WeakMap<Val, { op: 'add' | 'sub'; a: Val; b: Val }>();

  private noteOrigin(v: Val, op: 'add' | 'sub', a: Val, b: Val): Val {
    if (v !== a && v !== b && v.konst === null) this.origin.set(v, { op, a, b });
    return v;
  }

  /** Is `r` an ADD or SUB record whose result is exactly a + b or a - b? */
  private plain(r: Rec): boolean {
    // x - 0 and x + 0 are x itself (the emitter hands back the operand).
    if ((r.op === FlagOp.Sub || r.op === FlagOp.Add) && r.b.konst === 0 && r.res === r.a) return true;
    const o = this.origin.get(r.res);
    return o !== undefined && o.a === r.a && o.b === r.b && ((r.op === FlagOp.Add && o.op === 'add') || (r.op === FlagOp.Sub && o.op === 'sub'));
  }
  mul(a: Val, b: Val): Val { return this.fold2(a, b, (x, y) => Math.imul(x, y), (m, x, y) => m.i32.mul(x, y), 1, 0); }
  and(a: Val, b: Val): Val { return this.fold2(a, b, (x, y) => x & y, (m, x, y) => m.i32.and(x, y), -1, 0); }
  or(a: Val, b: Val): Val { return this.fold2(a, b, (x, y) => x | y, (m, x, y) => m.i32.or(x, y), 0, -1); }
  xor(a: Val, b: Val): Val { return this.fold2(a, b, (x, y) => x ^ y, (m, x, y) => m.i32.xor(x, y), 0); }
  not(a: Val): Val { return a.konst !== null ? this.k(~a.konst) : this.val(this.m.i32.xor(this.x(a), this.c(-1))); }
  neg(a: Val): Val { return a.konst !== null ? this.k(-a.konst) : this.val(this.m.i32.sub(this.c(0), this.x(a))); }

  /**
   * A binary operation: folded when both operands are constants (with the
   * i32 result Wasm would compute), the other operand when one is the
   * operation's identity (commutative operations only pass `identity`).
   */
  private fold2(a: Val, b: Val, f: (x: number, y: number) => number, e: (m: binaryen.Module, x: Expr, y: Expr) => Expr, identity?: number, absorbing?: number): Val {
    if (a.konst !== null && b.konst !== null) return this.k(f(a.konst, b.konst));
    if (absorbing !== undefined && (a.konst === absorbing || b.konst === absorbing)) return this.k(absorbing);
    if (identity !== undefined) {
      if (b.konst === identity) return a;
      if (a.konst === identity) return b;
    }
    return this.val(e(this.m, this.x(a), this.x(b)));
  }

  /** A shift or rotate: folded on constants (count mod 32, as Wasm), the value itself for a count of 0. */
  private shift(a: Val, n: Val, f: (x: number, y: number) => number, e: (m: binaryen.Module, x: Expr, y: Expr) => Expr): Val {
    if (n.konst !== null && (n.konst & 31) === 0) return a;
    if (a.konst !== null && n.konst !== null) return this.k(f(a.konst, n.konst & 31));
    return this.val(e(this.m, this.x(a), this.x(n)));
  }

  /** A constant expression node. */
  c(n: number): Expr { return this.m.i32.const(n | 0); }
  shl(a: Val, n: Val): Val { return this.shift(a, n, (x, y) => x << y, (m, x, y) => m.i32.shl(x, y)); }
  shrU(a: Val, n: Val): Val { return this.shift(a, n, (x, y) => x >>> y, (m, x, y) => m.i32.shr_u(x, y)); }
  shrS(a: Val, n: Val): Val { return this.shift(a, n, (x, y) => x >> y, (m, x, y) => m.i32.shr_s(x, y)); }
  rotl(a: Val, n: Val): Val { return this.shift(a, n, (x, y) => (x << y) | (x >>> (32 - y)), (m, x, y) => m.i32.rotl(x, y)); }
  rotr(a: Val, n: Val): Val { return this.shift(a, n, (x, y) => (x >>> y) | (x << (32 - y)), (m, x, y) => m.i32.rotr(x, y)); }
  eq(a: Val, b: Val): Val { return this.fold2(a, b, (x, y) => (x === y ? 1 : 0), (m, x, y) => m.i32.eq(x, y)); }
  ne(a: Val, b: Val): Val { return this.fold2(a, b, (x, y) => (x !== y ? 1 : 0), (m, x, y) => m.i32.ne(x, y)); }
  ltU(a: Val, b: Val): Val { return this.fold2(a, b, (x, y) => ((x >>> 0) < (y >>> 0) ? 1 : 0), (m, x, y) => m.i32.lt_u(x, y)); }
  ltS(a: Val, b: Val): Val { return this.fold2(a, b, (x, y) => (x < y ? 1 : 0), (m, x, y) => m.i32.lt_s(x, y)); }
  leU(a: Val, b: Val): Val { return this.fold2(a, b, (x, y) => ((x >>> 0) <= (y >>> 0) ? 1 : 0), (m, x, y) => m.i32.le_u(x, y)); }
  leS(a: Val, b: Val): Val { return this.fold2(a, b, (x, y) => (x <= y ? 1 : 0), (m, x, y) => m.i32.le_s(x, y)); }
  eqz(a: Val): Val { return a.konst !== null ? this.k(a.konst === 0 ? 1 : 0) : this.val(this.m.i32.eqz(this.x(a))); }
  select(c: Val, a: Val, b: Val): Val {
    if (c.konst !== null) return c.konst ? a : b;
    return this.val(this.m.select(this.x(c), this.x(a), this.x(b)));
  }
  zx(a: Val, size: Size): Val {
    return size === 4 ? a : this.and(a, this.k(size === 1 ? 0xff : 0xffff));
  }
  sx(a: Val, size: Size): Val {
    if (size === 4) return a;
    const sh = size === 1 ? 24 : 16;
    if (a.konst !== null) return this.k((a.konst << sh) >> sh);
    return this.val(this.m.i32.shr_s(this.m.i32.shl(this.x(a), this.c(sh)), this.c(sh)));
  }
  clz(a: Val): Val { return this.val(this.m.i32.clz(this.x(a))); }
  ctz(a: Val): Val { return this.val(this.m.i32.ctz(this.x(a))); }
  popcnt(a: Val): Val {
    if (a.konst !== null) { let n = 0; for (let v = a.konst >>> 0; v; v &= v - 1) n++; return this.k(n); }
    return this.val(this.m.i32.popcnt(this.x(a)));
  }
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
    return { lo: this.val(m.i32.wrap(this.m.local.get(p, i64))), hi: this.val(m.i32.wrap(m.i64.shr_u(this.m.local.get(p, i64), m.i64.const(32n)))) };
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
    const g64 = (l: number): Expr => m.local.get(l, i64);
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
    if (size === 4) {
      const v = this.val(this.w.get(this.regLocals[r]!));
      this.idents.set(v, (this.regIdent[r] ??= { root: {}, disp: 0 }));
      return v;
    }
    const known = this.parts.get(partKey(r, size));
    if (known) return known;
    if (size === 2) return this.val(m.i32.and(this.w.get(this.regLocals[r]!), this.c(0xffff)));
    if (r < 4) return this.val(m.i32.and(this.w.get(this.regLocals[r]!), this.c(0xff)));
    return this.val(m.i32.and(m.i32.shr_u(this.w.get(this.regLocals[r - 4]!), this.c(8)), this.c(0xff)));
  }

  // --- register parts ------------------------------------------------------------
  //
  // A write of AL, AH or AX merges the part into its 32-bit register's local;
  // a later read of the same part in the same stretch returns the written
  // value (zero-extended, in a local of its own) instead of extracting it
  // again: `mov al, [esi]; inc al; mov [edi], al` extracts nothing. A write
  // of a part forgets the parts it overlaps; a write of the whole register,
  // a block start, a helper call and a join of differing branches forget
  // them all for that register (or every register).

  /** Known register parts: partKey(r, size) -> the part's value (zero-extended). */
  private parts = new Map<number, Val>();

  /** Forget every known register part (the registers' locals were written outside setReg). */
  forgetRegisterParts(): void {
    if (this.parts.size) this.parts = new Map();
  }

  /** Forget the parts of 32-bit register `home` that a write of (r, size) overlaps. */
  private forgetParts(home: number, r: number, size: Size): void {
    if (!this.parts.size) return;
    const next = new Map(this.parts);
    next.delete(partKey(home, 2));
    if (size !== 1 || r < 4) next.delete(partKey(home, 1));
    if (home < 4 && (size !== 1 || r >= 4)) next.delete(partKey(home + 4, 1));
    this.parts = next;
  }

  setReg(r: number, size: Size, v: Val): void {
    const m = this.m;
    if (size === 4) {
      this.emit(this.w.set(this.regLocals[r]!, this.x(v)));
      this.regIdent[r] = this.identOf(v);
      this.forgetParts(r, r, 4);
      return;
    }
    const homeReg = size === 1 && r >= 4 ? r - 4 : r;
    const home = this.regLocals[homeReg]!;
    this.regIdent[homeReg] = null;
    const [keep, shift, mask] = size === 2 ? [~0xffff, 0, 0xffff] : r < 4 ? [~0xff, 0, 0xff] : [~0xff00, 8, 0xff];
    const part = v.konst !== null ? this.k(v.konst & mask) : this.val(m.i32.and(this.x(v), this.c(mask)));
    this.forgetParts(homeReg, r, size);
    this.parts = new Map(this.parts).set(partKey(r, size), part);
    const placed = shift ? m.i32.shl(this.x(part), this.c(shift)) : this.x(part);
    this.emit(this.w.set(home, m.i32.or(m.i32.and(this.w.get(home), this.c(keep)), placed)));
  }

  sreg(s: Seg): Val {
    return this.val(this.loadState(StateSlot.Selectors + s));
  }

  loadSeg(): void {
    throw new Untranslatable('segment load');
  }

  // --- memory ----------------------------------------------------------------

  /** Byte address of the TLB in the Wasm memory. */
  get tlbBase(): number {
    return this.o.tlbBase;
  }

  /** Segments (bit per Seg) known flat for this translation. */
  get flatSegments(): number {
    return this.o.flatSegments;
  }

  private flat(s: Seg): boolean {
    return (this.o.flatSegments & (1 << s)) !== 0;
  }

  /**
   * Where an access of `size` bytes at seg:offset goes through the inline
   * TLB: its linear address, and the conditions that send it to the
   * runtime instead; null when every access of the segment does. A flat
   * segment's offset is the address. FS and GS otherwise (Linux's per-CPU
   * FS in the kernel, the C library's thread-pointer GS in user code: every
   * stack-protector check) are tested at run time: when the state block
   * says the segment spans 4 GiB (StateSlot.WholeSpace, runtime/cpu.ts
   * wholeSpace), the address is its base plus the offset, and offsets whose
   * last byte would pass 4 GiB (beyond its limit) take the runtime's
   * checks. (A mode bit instead would translate the kernel's code twice:
   * it runs with a user's GS and with a null one.)
   */
  private inlineLinear(s: Seg, offset: Val, size: number): { lin: Val; checks: Expr[] } | null {
    if (this.flat(s)) return { lin: offset, checks: [] };
    if (s !== Seg.FS && s !== Seg.GS) return null;
    const m = this.m;
    if (offset.konst !== null && (offset.konst >>> 0) > 2 ** 32 - size) return null;
    const lin = this.val(m.i32.add(this.loadState(StateSlot.Bases + s), this.x(offset)));
    const checks = [m.i32.eqz(m.i32.and(this.loadState(StateSlot.WholeSpace), this.c(1 << s)))];
    if (size > 1 && offset.konst === null) checks.push(m.i32.gt_u(this.x(offset), this.c(-size)));
    return { lin, checks };
  }

  /** Statements that make the state block exact for a runtime call that may fault or read it. */
  beforeRuntimeCall(): Expr[] {
    this.forgetPages();
    return this.flushToState(false, true);
  }

  /** state.Budget = the budget local + extra (instructions given back). */
  budgetToState(extra: number): Expr {
    return this.storeState(StateSlot.Budget, this.budgetWith(extra));
  }

  /**
   * The TLB fast-path test for `size` bytes at linear `lin`: the conditions
   * under which it misses (each a separate branch: cheaper than combining
   * them), the entry's local and the physical address of a hit.
   */
  tlbHit(lin: Val, size: number, access: Access): { misses: Expr[]; entry: number; pa: () => Expr } {
    const m = this.m;
    const e = this.val(m.i32.load(this.o.tlbBase, 4, m.i32.shl(m.i32.shr_u(this.x(lin), this.c(12)), this.c(2))));
    const mask = tlbMask(access, this.mode.cpl === 3);
    const misses = [m.i32.ne(m.i32.and(this.x(e), this.c(mask)), this.c(TLB_VALID))];
    // A byte access cannot cross a page; wider ones take the slow path when they would.
    if (size > 1) misses.push(m.i32.gt_u(m.i32.and(this.x(lin), this.c(0xfff)), this.c(0x1000 - size)));
    return { misses, entry: e.local, pa: () => m.i32.xor(m.i32.and(this.x(e), this.c(~0xfff)), this.x(lin)) };
  }

  /** Blocks in loops leave on a TLB miss instead of calling the runtime (see fastAccess). */
  exitOnMiss = false;
  private labels = 0;

  /** A label name unique in the function. */
  label(prefix: string): string {
    return `${prefix}${this.labels++}`;
  }

  /**
   * An access through the inline TLB: `hit` on the fast path, else `miss`.
   * `checks` branch to the miss label they are given. In a loop the miss
   * path leaves the region (JitExit.Slow) rather than calling the runtime
   * and coming back: a call in the loop body would make every value live
   * across it go to the stack on the fast path too (every register is
   * caller-saved), while a path that returns keeps them in registers.
   * Outside loops the runtime call is the cheaper miss.
   */
  private fastAccess(checks: (miss: string) => Expr[], hit: Expr[], slowCall: () => Expr[]): Expr {
    const w = this.w;
    const n = this.labels++;
    const miss = this.exitOnMiss ? this.exitStmts(this.insn!.eip, this.left, 0, 0, JitExit.Slow) : slowCall();
    return w.named(`hit${n}`, [
      w.named(`miss${n}`, [...checks(`miss${n}`), ...hit, w.br(`hit${n}`)]),
      ...miss,
    ]);
  }

  // --- reuse of TLB lookups ------------------------------------------------------
  //
  // Within a straight stretch of a block (no runtime call between), the TLB
  // cannot change: only the runtime writes it, and the fast path's stores
  // never reach the pages whose writes could make it (code pages and, with
  // shadow paging, paging structures carry TLB_CODE and take the slow path,
  // which in a loop leaves the region and elsewhere is a runtime call that
  // ends the stretch). So an access in loop code (where a miss leaves, and
  // a later instruction runs only after its access hit) leaves its address
  // and the entry it found in locals, and a later access near that address (the same
  // register value give or take a constant, as far as translation time can
  // tell) tests at run time whether all of its bytes lie in that page: one
  // subtraction and one unsigned comparison instead of the TLB load and its
  // two tests; otherwise it does the full lookup. A lookup for a write
  // proves reads too (the write mask has every bit of the read mask); a
  // lookup for a read proves nothing about writes. The translation-time
  // guess only chooses which page to try: the run-time test alone decides.

  /** The known pages of the current stretch, newest last (at most TLB_REUSE_PAGES). */
  private pages: readonly KnownPage[] = [];
  /** What each 32-bit register holds, as far as the guess goes (null: a value of its own, named on first read). */
  private regIdent: Array<Ident | null> = new Array<Ident | null>(8).fill(null);
  private readonly idents = new WeakMap<Val, Ident>();

  /** The stretch ends: a runtime call (or a block start) may have changed the TLB. */
  private forgetPages(): void {
    this.pages = [];
  }

  /** A value's guessed identity: a root value plus a constant. */
  private identOf(v: Val): Ident {
    if (v.konst !== null) return { root: CONSTANT_ROOT, disp: v.konst };
    let id = this.idents.get(v);
    if (id) return id;
    const o = this.origin.get(v);
    if (o && o.b.konst !== null) {
      const base = this.identOf(o.a);
      id = { root: base.root, disp: o.op === 'add' ? base.disp + o.b.konst : base.disp - o.b.konst };
    } else if (o && o.op === 'add' && o.a.konst !== null) {
      const base = this.identOf(o.b);
      id = { root: base.root, disp: base.disp + o.a.konst };
    } else {
      id = { root: v, disp: 0 };
    }
    this.idents.set(v, id);
    return id;
  }

  /** A known page whose lookup allows `access` and is likely to hold `id` (nearest first), or null. */
  private nearPage(id: Ident, access: Access): KnownPage | null {
    let best: KnownPage | null = null;
    for (const p of this.pages) {
      if (p.root !== id.root || (access === Access.Write && !p.write)) continue;
      const d = Math.abs(id.disp - p.disp);
      if (d < 0x1000 && (!best || d < Math.abs(id.disp - best.disp))) best = p;
    }
    return best;
  }

  /**
   * An access of `size` bytes at flat linear `lin` through the inline TLB,
   * reusing a known page where one is near: `hit` gets the physical address.
   */
  private tlbAccess(lin: Val, size: number, access: Access, hit: (pa: Expr) => Expr[], slowCall: () => Expr[], first: Expr[] = []): Expr {
    const { w, m } = this;
    const id = this.identOf(lin);
    const near = this.nearPage(id, access);
    if (near) {
      // key: the entry of the page (flags and all), the known one or a new lookup's.
      const key = w.newLocal();
      const n = this.labels++;
      // The full lookup's entry load goes after the page test, not into the statement list.
      const outer = this.take();
      const full = this.tlbHit(lin, size, access);
      const load = this.take();
      this.stmts = outer;
      const checks = (miss: string): Expr[] => [...first.map((c) => w.brUnlikely(miss, c)), w.named(`page${n}`, [
        w.set(key, w.get(near.entry)),
        // All `size` bytes in the known page: lin - page base, unsigned, at most 0x1000 - size.
        w.br(`page${n}`, m.i32.le_u(m.i32.sub(this.x(lin), m.i32.and(this.x(near.lin), this.c(~0xfff))), this.c(0x1000 - size))),
        ...load,
        ...full.misses.map((c) => w.brUnlikely(miss, c)),
        w.set(key, w.get(full.entry)),
      ])];
      const reused = this.fastAccess(checks, hit(m.i32.xor(m.i32.and(w.get(key), this.c(~0xfff)), this.x(lin))), slowCall);
      // The known page allowed this access, or the new lookup did: either way `key` maps lin's page for it.
      if (this.exitOnMiss) this.knowPage({ root: id.root, disp: id.disp, write: access === Access.Write, lin, entry: key });
      return reused;
    }
    const full = this.tlbHit(lin, size, access);
    const access_ = this.fastAccess((miss) => [...first, ...full.misses].map((c) => w.brUnlikely(miss, c)), hit(full.pa()), slowCall);
    if (this.exitOnMiss) this.knowPage({ root: id.root, disp: id.disp, write: access === Access.Write, lin, entry: full.entry });
    return access_;
  }

  private knowPage(p: KnownPage): void {
    this.pages = [...this.pages, p].slice(-TLB_REUSE_PAGES);
  }

  load(s: Seg, offset: Val, size: Size): Val {
    const w = this.w;
    const i = this.insn!;
    const slowCall = (): Expr => w.call(IMPORTS.slowLoad.name, [this.c(s), this.x(offset), this.c(size), this.c(i.eip), this.c(this.left)], true);
    const at = this.inlineLinear(s, offset, size);
    if (!at) {
      const before = this.beforeRuntimeCall();
      const value = this.w.newLocal();
      this.emit(...before, w.set(value, slowCall()), this.raised(), this.budgetFromState());
      return new Val(value);
    }
    // The value's local is made with the hit path (after the lookup's own locals).
    let v = -1;
    const hit = (pa: Expr): Expr[] => {
      v = this.w.newLocal();
      return [w.set(v, w.load(0, size, pa))];
    };
    this.emit(this.tlbAccess(at.lin, size, Access.Read, hit, () => [...this.beforeRuntimeCall(), w.set(v, slowCall()), this.raised(), this.budgetFromState()], at.checks));
    return new Val(v);
  }

  store(s: Seg, offset: Val, size: Size, v: Val): void {
    const w = this.w;
    const i = this.insn!;
    const slow = (): Expr[] => [...this.beforeRuntimeCall(),
      w.set(this.smcLocal, w.m.i32.or(w.get(this.smcLocal),
        w.call(IMPORTS.slowStore.name, [this.c(s), this.x(offset), this.c(size), this.x(v), this.c(i.eip), this.c(this.left)], true))), this.raised(), this.budgetFromState()];
    const at = this.inlineLinear(s, offset, size);
    if (!at) {
      this.stored = true;
      this.emit(...slow());
      return;
    }
    // Only the runtime's store can find translated code (writes to code pages miss the TLB).
    if (!this.exitOnMiss) this.stored = true;
    this.emit(this.tlbAccess(at.lin, size, Access.Write, (pa) => [w.store(0, size, pa, this.x(v))], slow, at.checks));
  }

  load64(s: Seg, offset: Val): { lo: Val; hi: Val } {
    const { w, m } = this;
    const i = this.insn!;
    const lo = w.newLocal(), hi = w.newLocal();
    const slow = (): Expr[] => [...this.beforeRuntimeCall(),
      w.set(lo, w.call(IMPORTS.slowLoad64.name, [this.c(s), this.x(offset), this.c(i.eip), this.c(this.left)], true)),
      this.raised(), this.budgetFromState(), w.set(hi, this.loadState(StateSlot.ExitArg))];
    const at = this.inlineLinear(s, offset, 8);
    if (!at) {
      this.emit(...slow());
    } else {
      const pa = w.newLocal();
      this.emit(this.tlbAccess(at.lin, 8, Access.Read, (p) => [w.set(pa, p), w.set(lo, w.load(0, 4, w.get(pa))), w.set(hi, m.i32.load(4, 1, w.get(pa)))], slow, at.checks));
    }
    return { lo: new Val(lo), hi: new Val(hi) };
  }

  store64(s: Seg, offset: Val, lo: Val, hi: Val): void {
    const { w, m } = this;
    const i = this.insn!;
    const slow = (): Expr[] => [...this.beforeRuntimeCall(),
      w.set(this.smcLocal, m.i32.or(w.get(this.smcLocal),
        w.call(IMPORTS.slowStore64.name, [this.c(s), this.x(offset), this.x(lo), this.x(hi), this.c(i.eip), this.c(this.left)], true))), this.raised(), this.budgetFromState()];
    const at = this.inlineLinear(s, offset, 8);
    if (!at) {
      this.stored = true;
      this.emit(...slow());
      return;
    }
    if (!this.exitOnMiss) this.stored = true;
    const pa = w.newLocal();
    this.emit(this.tlbAccess(at.lin, 8, Access.Write, (p) => [w.set(pa, p), w.store(0, 4, w.get(pa), this.x(lo)), m.i32.store(4, 1, w.get(pa), this.x(hi))], slow, at.checks));
  }

  probeWrite(s: Seg, offset: Val, len: number): void {
    const w = this.w;
    const i = this.insn!;
    const slow = (): Expr[] => [...this.beforeRuntimeCall(),
      w.call(IMPORTS.slowProbe.name, [this.c(s), this.x(offset), this.c(len), this.c(i.eip), this.c(this.left)], false), this.raised()];
    const at = len <= 4096 ? this.inlineLinear(s, offset, len) : null;
    if (!at) { this.emit(...slow()); return; }
    const last = this.val(this.m.i32.add(this.x(at.lin), this.c(len - 1)));
    const a = this.tlbHit(at.lin, 1, Access.Write);
    const b = this.tlbHit(last, 1, Access.Write);
    this.emit(this.fastAccess((miss) => [...at.checks, ...a.misses, ...b.misses].map((c) => w.brUnlikely(miss, c)), [], slow));
  }

  // --- control -----------------------------------------------------------------

  jump(target: Val): void {
    if (this.o.csLimit !== 0xffffffff) {
      this.if_(this.val(this.m.i32.gt_u(this.x(target), this.c(this.o.csLimit))), () => this.raise(13, 0));
    }
    if (target.konst !== null) {
      this.next = { kind: 'eip', eip: target.konst >>> 0 };
    } else {
      this.emit(this.w.set(this.nextLocal, this.x(target)));
      this.next = { kind: 'local' };
    }
  }

  if_(c: Val, then: () => void, otherwise?: () => void): void {
    if (c.konst !== null) {
      // Decided at translation time (a constant count, say): only one branch exists.
      (c.konst ? then : otherwise)?.();
      return;
    }
    const entry = { flags: this.flags, next: this.next, pages: this.pages, regIdent: [...this.regIdent], parts: this.parts };
    const outer = this.take();
    const outerRare = this.rareArm;
    const run = (f: (() => void) | undefined) => {
      this.flags = entry.flags;
      this.next = entry.next;
      this.pages = entry.pages;
      this.regIdent = [...entry.regIdent];
      this.parts = entry.parts;
      this.terminated = false;
      this.rareArm = false;
      f?.();
      return {
        stmts: this.take(), flags: this.flags, next: this.next, terminated: this.terminated, pages: this.pages, regIdent: this.regIdent, parts: this.parts,
        rare: this.rareArm || this.terminated,
      };
    };
    const t = run(then);
    const e = run(otherwise);
    this.terminated = false;
    // Known pages after the join: a branch that left adds nothing; else those known before that both kept
    // (a page recorded in one branch was not looked up on the other path).
    if (t.terminated !== e.terminated) {
      const live = t.terminated ? e : t;
      this.pages = live.pages;
      this.regIdent = live.regIdent;
      this.parts = live.parts;
    } else {
      this.pages = entry.pages.filter((p) => t.pages.includes(p) && e.pages.includes(p));
      this.regIdent = t.regIdent.map((x, r) => (x === e.regIdent[r] ? x : null));
      this.parts = new Map([...t.parts].filter(([k, v]) => e.parts.get(k) === v));
    }
    // A branch that left the function (a fault) does not reach the join: the join has the other's state.
    let after: (() => void) | null = null;
    if (t.terminated && e.terminated) {
      this.terminated = true;
    } else if (t.terminated || e.terminated) {
      const live = t.terminated ? e : t;
      this.flags = live.flags;
      this.next = live.next;
    } else {
      this.flags = this.joinFlags(t, e);
      after = this.joinNext(c, t, e);
    }
    this.stmts = outer;
    this.rareArm = outerRare;
    if (t.stmts.length || e.stmts.length) {
      const thenArm = this.w.block(t.stmts), elseArm = e.stmts.length ? this.w.block(e.stmts) : undefined;
      // An arm that leaves (a fault, a trap, the VMM) or calls a helper is the rarely run one: hinted so.
      this.emit(t.rare !== e.rare ? this.w.ifHinted(this.x(c), thenArm, elseArm, e.rare) : this.w.if_(this.x(c), thenArm, elseArm));
    }
    after?.();
  }

  /**
   * The flag state after an if/else: the branches' own when they agree on
   * the static records; else both settle into the dynamic form (folding
   * the flags the following instructions read).
   */
  private joinFlags(t: { stmts: Expr[]; flags: FlagTracking }, e: { stmts: Expr[]; flags: FlagTracking }): FlagTracking {
    const same = t.flags.recs.length === e.flags.recs.length && t.flags.recs.every((r, k) => r === e.flags.recs[k]);
    if (same) return { recs: t.flags.recs, mainMay: t.flags.mainMay | e.flags.mainMay, cfMay: t.flags.cfMay || e.flags.cfMay };
    // The same records with fewer flags on one side (a rotate by CL wrote CF and OF in one branch): each
    // side puts the flags the other's records lack into the word, and the records keep the common ones.
    const alike = (x: Rec, y: Rec): boolean => x.op === y.op && x.size === y.size && x.res === y.res && x.a === y.a && x.b === y.b;
    if (t.flags.recs.length === e.flags.recs.length && t.flags.recs.every((r, k) => alike(r, e.flags.recs[k]!))) {
      const recs = t.flags.recs.map((r, k) => ({ ...r, mask: r.mask & e.flags.recs[k]!.mask })).filter((r) => r.mask !== 0);
      let mainMay = 0, cfMay = false;
      for (const side of [t, e]) {
        this.flags = side.flags;
        for (const r of side.flags.recs) {
          const extra = r.mask & ~(recs.find((x) => alike(x, r))?.mask ?? 0);
          if (!extra) continue;
          this.mergeIntoWord(this.recWord(r, extra), extra);
          this.clearRuntime(extra);
        }
        side.stmts.push(...this.take());
        mainMay |= this.flags.mainMay;
        cfMay ||= this.flags.cfMay;
      }
      return { recs, mainMay, cfMay };
    }
    let mainMay = 0, cfMay = false;
    for (const side of [t, e]) {
      this.flags = side.flags;
      this.settleToLocals(this.liveAfter);
      side.stmts.push(...this.take());
      mainMay |= this.flags.mainMay;
      cfMay ||= this.flags.cfMay;
    }
    return { recs: [], mainMay, cfMay };
  }

  /**
   * The next EIP after an if/else whose branches did not leave the
   * function. Statements a branch needs are added to it here; the returned
   * function emits what comes after the if (it sets `next`).
   */
  private joinNext(c: Val, t: { stmts: Expr[]; next: Next }, e: { stmts: Expr[]; next: Next }): () => void {
    const a = t.next, b = e.next;
    if (a.kind === 'eip' && b.kind === 'eip') {
      return () => { this.next = a.eip === b.eip ? a : { kind: 'cond', c, taken: a.eip, fall: b.eip }; };
    }
    // A branch choosing between the same two targets as the other (REP's inner test): combine the conditions.
    const targets = (n: Next): number[] | null => (n.kind === 'eip' ? [n.eip] : n.kind === 'cond' ? [n.taken, n.fall] : null);
    const ta = targets(a), tb = targets(b);
    if (ta && tb) {
      const all = [...new Set([...ta, ...tb])];
      if (all.length === 2) {
        const [taken, fall] = all as [number, number];
        // Per branch: 1 when it goes to `taken` (a constant, or its own condition).
        const goes = (n: Next): Expr => (n.kind === 'eip' ? this.c(n.eip === taken ? 1 : 0)
          : n.kind === 'cond' ? (n.taken === taken ? this.m.i32.ne(this.x(n.c), this.c(0)) : this.m.i32.eqz(this.x(n.c))) : this.c(0));
        // After the if: each branch's condition is read only through this select, where the other branch's is not chosen.
        return () => {
          const g = this.val(this.m.select(this.x(c), goes(a), goes(b)));
          this.next = { kind: 'cond', c: g, taken, fall };
        };
      }
    }
    for (const [side, n] of [[t, a], [e, b]] as const) {
      if (n.kind !== 'local') side.stmts.push(this.w.set(this.nextLocal, n.kind === 'eip' ? this.c(n.eip) : this.m.select(this.x(n.c), this.c(n.taken), this.c(n.fall))));
    }
    return () => { this.next = { kind: 'local' }; };
  }

  raise(vector: number, errorCode = 0): void {
    this.emit(this.w.block(this.exitStmts(this.insn!.eip, this.left, vector, errorCode, JitExit.Fault)));
    this.terminated = true;
  }

  /**
   * Before an instruction that runs into the next page: leave for the
   * interpreter (JitExit.Slow, as a TLB miss does) unless the TLB maps
   * linear page `lin` for fetches to physical page `pa`, the frame whose
   * bytes were translated. The guest may have remapped that page since.
   */
  requireFetchPage(lin: number, pa: number): void {
    this.emit(this.w.ifUnlikely(this.fetchPageMoved(lin, pa), this.w.block(this.exitStmts(this.insn!.eip, this.left, 0, 0, JitExit.Slow))));
  }

  /** True (an i32) unless the TLB maps linear page `lin` to the frame at `pa` for fetches at this CPL. */
  fetchPageMoved(lin: number, pa: number): Expr {
    const m = this.m;
    const e = this.val(m.i32.load(this.o.tlbBase, 4, this.c((lin >>> 12) << 2)));
    return m.i32.or(
      m.i32.ne(m.i32.and(this.x(e), this.c(tlbMask(Access.Fetch, this.mode.cpl === 3))), this.c(TLB_VALID)),
      m.i32.ne(m.i32.xor(m.i32.and(this.x(e), this.c(~0xfff)), this.c(lin)), this.c(pa)));
  }

  raiseTrap(vector: number): void {
    // A trap retires the instruction: one fewer instruction to give back to the budget.
    this.emit(this.w.block(this.exitStmts(this.insn!.nextEip, this.left - 1, vector, 0, JitExit.Trap)));
    this.terminated = true;
  }

  /** The budget local plus `extra` (instructions given back), as the state block's budget. */
  private budgetWith(extra: number): Expr {
    const v = this.w.get(this.budgetLocal);
    return extra ? this.m.i32.add(v, this.c(extra)) : v;
  }

  /** Exit statements: flags and registers to the state block, EIP, budget give-back, exit code. */
  private exitStmts(eip: number, giveBack: number, vector: number, errorCode: number, code: JitExit): Expr[] {
    return [
      ...this.flushToState(),
      this.writeState('trap', [this.c(eip), this.budgetWith(giveBack), this.c(vector), this.c(errorCode)]),
      this.w.set(this.exitCodeLocal, this.c(code)),
      this.w.br(COLD_EXIT_LABEL),
    ];
  }

  /** Statements of an exit to the dispatcher at the EIP after this instruction, giving back `giveBack` instructions. */
  exitAfterInstruction(giveBack: number, code: JitExit = JitExit.Continue): Expr[] {
    return [
      ...this.flushToState(),
      this.writeState('exit', [this.nextExpr(), this.budgetWith(giveBack)]),
      this.w.set(this.exitCodeLocal, this.c(code)),
      this.w.br(COLD_EXIT_LABEL),
    ];
  }

  hypercall(): void {
    throw new Untranslatable('hypercall');
  }

  // --- sensitive instructions translated inline (translator/semantics/system.ts INLINE_SEMANTICS) ---

  /** Leave before the current instruction (nothing of it has happened): the runtime runs it by the trap path. */
  leaveToVmm(): void {
    this.emit(this.w.block(this.exitStmts(this.insn!.eip, this.left, 0, 0, JitExit.Vmm)));
    this.terminated = true;
  }

  /** EFLAGS.IOPL (0-3): never held lazily, so the flags word has it. */
  iopl(): Val {
    return this.val(this.m.i32.and(this.m.i32.shr_u(this.w.get(this.d.f), this.c(12)), this.c(3)));
  }

  /** Blocking by STI begins (IF was 0): the runtime records it with the exact retired count. */
  stiShadow(): void {
    this.forgetPages();
    this.emit(this.budgetToState(0), this.w.call(IMPORTS.stiShadow.name, [this.c(this.left)], false));
  }

  /**
   * A port access the VMM core may answer from translated code: the state
   * block is made exact (a device may throw, or end the run), then the
   * runtime does the access or declines, and on a decline the region
   * leaves before the instruction. Returns the value an input read.
   */
  portIo(port: Val, size: Size, input: boolean, value: Val): Val {
    const w = this.w;
    const i = this.insn!;
    this.forgetPages();
    this.emit(...this.flushToState(false, true), ...this.storeRegisters());
    const status = this.val(w.call(IMPORTS.portIo.name, [this.x(port), this.c(size | (input ? 8 : 0)), this.x(value), this.c(i.eip), this.c(this.left)], true));
    this.emit(
      this.raised(),
      this.budgetFromState(),
      // Flags and registers are in the state block already (stored for the call).
      w.ifUnlikely(this.m.i32.eq(this.x(status), this.c(1)), w.block([
        this.storeState(StateSlot.Eip, this.c(i.eip)), this.budgetToState(this.left), w.ret(this.c(JitExit.Vmm)),
      ])),
      w.set(this.smcLocal, this.m.i32.or(w.get(this.smcLocal), this.m.i32.shr_u(this.x(status), this.c(1)))),
    );
    this.stored = true;
    return input ? this.val(this.loadState(StateSlot.ExitArg)) : this.k(0);
  }

  /**
   * RDTSC by the VMM core: the budget is made exact for the retired count
   * the TSC may follow (nothing else of the state block is read, and the
   * call does not throw); on a decline the region leaves before the
   * instruction. The runtime counts it as an inline operation.
   */
  rdtsc(): [Val, Val] {
    const w = this.w;
    this.forgetPages();
    this.emit(this.budgetToState(0));
    const status = this.val(w.call(IMPORTS.rdtsc.name, [this.c(this.left)], true));
    this.if_(status, () => this.leaveToVmm());
    return [this.val(this.loadState(StateSlot.ExitArg)), this.val(this.loadState(StateSlot.ExitError))];
  }

  /** Count one sensitive instruction that translated code ran itself (state.InlineOps, shown by --stats). */
  countInline(): void {
    this.emit(this.storeState(StateSlot.InlineOps, this.m.i32.add(this.loadState(StateSlot.InlineOps), this.c(1))));
  }

  // --- the x87 unit's state (its block follows the state block: runtime/cpu.ts CPU_BLOCK_BYTES) ---

  private get fpuBase(): number {
    return this.o.stateBase + STATE_BYTES;
  }

  x87Usable(): Val {
    const m = this.m;
    return this.val(m.i32.eqz(m.i32.and(this.loadState(StateSlot.Cr0), this.c(CR0_EM | CR0_TS))));
  }

  fpuWord(word: FpuWord): Val {
    return this.val(this.m.i32.load(this.fpuBase + FPU_WORDS_OFFSET + word * 4, 4, this.c(0)));
  }

  setFpuWord(word: FpuWord, v: Val): void {
    this.emit(this.m.i32.store(this.fpuBase + FPU_WORDS_OFFSET + word * 4, 4, this.c(0), this.x(v)));
  }

  fpuReg(p: Val, part: FpuPart): Val {
    const m = this.m;
    if (part === FpuPart.SignExp) return this.val(m.i32.load16_u(this.fpuBase + FPU_SEXP_OFFSET, 2, m.i32.shl(this.x(p), this.c(1))));
    return this.val(m.i32.load(this.fpuBase + FPU_SIG_OFFSET + part * 4, 4, m.i32.shl(this.x(p), this.c(3))));
  }

  setFpuReg(p: Val, part: FpuPart, v: Val): void {
    const m = this.m;
    if (part === FpuPart.SignExp) this.emit(m.i32.store16(this.fpuBase + FPU_SEXP_OFFSET, 2, m.i32.shl(this.x(p), this.c(1)), this.x(v)));
    else this.emit(m.i32.store(this.fpuBase + FPU_SIG_OFFSET + part * 4, 4, m.i32.shl(this.x(p), this.c(3)), this.x(v)));
  }

  /**
   * A runtime helper (x87, MMX) through the `helper` import: the state
   * block is made exact (the helper works on it), and registers and flags
   * are read back afterwards (FSTSW AX writes AX; FCOMI writes flags). A
   * fault in the helper leaves through raised().
   */
  helper(name: string, insn: Instruction): void {
    this.rareArm = true;
    const run = this.helperRun;
    // No helper instruction joins a run after one that writes a general register: a fault in it would
    // make raised() store the registers' locals over that write.
    const endsRun = insn.operands.some((o) => o.kind === 'reg');
    if (run && run.stmts === this.stmts && run.length === this.stmts.length) {
      // The helper instruction before this one was the last thing emitted: its call runs this one too,
      // and its reloads serve both.
      this.helperSites[run.site]!.more.push({ eip: insn.eip, name });
      if (endsRun) this.helperRun = null;
      return;
    }
    const site = this.helperSites.length;
    this.helperSites.push({ eip: insn.eip, name, more: [] });
    this.forgetPages();
    this.regIdent.fill(null);
    this.forgetRegisterParts();
    // Stores, not the state writers: x87 code calls helpers millions of times.
    this.emit(
      ...this.flushToState(true),
      ...this.storeRegisters(true),
      this.budgetToState(0),
      this.w.call(IMPORTS.helper.name, [this.w.globalGet(HELPER_MODULE_ID), this.c(site), this.c(this.left)], false),
      this.raised(),
      this.budgetFromState(),
      ...this.loadRegisters(),
      ...this.loadFlagState(),
    );
    this.flags = { recs: [], mainMay: ARITH_FLAGS, cfMay: false };
    this.helperRun = endsRun ? null : { site, stmts: this.stmts, length: this.stmts.length };
  }

  /** The last helper call emitted, while more helper instructions may join it (see helper()). */
  private helperRun: { readonly site: number; readonly stmts: Expr[]; readonly length: number } | null = null;

  // --- flags -------------------------------------------------------------------

  // --- packed record kinds (see DynamicLocals) --------------------------------

  /** A field of the kind in local `kind`, as an expression. */
  private kindField(kind: number, field: KindFieldName): Expr {
    const m = this.m;
    const k = this.w.get(kind);
    if (field === 'mask') return m.i32.and(k, this.c(LAZY_KIND_MASK));
    if (field === 'op') return m.i32.and(m.i32.shr_u(k, this.c(LAZY_KIND_OP_SHIFT)), this.c(0xff));
    return m.i32.shr_u(k, this.c(LAZY_KIND_SIZE_SHIFT));
  }

  /** The runtime record in `kind` and its operand locals (each read where it is used: see KindField). */
  private runtimeRec(kind: number, res: number, a: number, b: number): RecVals & { readonly mask: Val } {
    return {
      mask: new KindField(kind, 'mask'), op: new KindField(kind, 'op'), size: new KindField(kind, 'size'),
      res: new Val(res), a: new Val(a), b: new Val(b),
    };
  }

  /** The packed kind of a record with mask `mask` (bits below 12 only): the kind local itself where nothing changed. */
  private packedKind(mask: Val, rec: RecVals): Val {
    const from = (v: Val, field: KindFieldName): number | null => (v instanceof KindField && v.field === field ? v.kind : null);
    const kOp = from(rec.op, 'op');
    if (kOp !== null && from(rec.size, 'size') === kOp) {
      if (from(mask, 'mask') === kOp) return new Val(kOp);
      return this.or(mask, this.val(this.m.i32.and(this.w.get(kOp), this.c(~LAZY_KIND_MASK))));
    }
    if (mask.konst !== null && rec.op.konst !== null && rec.size.konst !== null) return this.k(packLazyKind(mask.konst, rec.op.konst, rec.size.konst));
    return this.or(mask, this.or(this.shl(rec.op, this.k(LAZY_KIND_OP_SHIFT)), this.shl(rec.size, this.k(LAZY_KIND_SIZE_SHIFT))));
  }

  /** Flags the static records cover. */
  private covered(): number {
    let m = 0;
    for (const r of this.flags.recs) m |= r.mask;
    return m;
  }

  /**
   * Flag `f` (0/1) of a record: the lazy formula of semantics/flags.ts, or
   * for the carry of a plain 32-bit ADD or a plain SUB the unsigned
   * comparison it amounts to (the result wrapped / a < b).
   */
  private recFlag(r: Rec, f: Flag): Val {
    if (f === Flag.CF && this.plain(r)) {
      if (r.b.konst === 0) return this.k(0);
      if (r.op === FlagOp.Sub) return this.ltU(this.zx(r.a, r.size), this.zx(r.b, r.size));
      if (r.size === 4) return this.ltU(r.res, r.a);
    }
    if (f === Flag.OF && this.plain(r) && r.b.konst === 0) return this.k(0);
    return lazyFlag(this, f, r.op, r.size, r.res, r.a, r.b);
  }

  /** The flags of `bits` that `r` defines, computed at their EFLAGS positions. */
  private recWord(r: Rec, bits: number): Val {
    let w: Val | null = null;
    for (const f of [Flag.CF, Flag.PF, Flag.AF, Flag.ZF, Flag.SF, Flag.OF]) {
      if (!(bits & r.mask & f)) continue;
      const v = this.recFlag(r, f);
      const placed = f === Flag.CF ? v : this.shl(v, this.k(bitOf(f)));
      w = w ? this.or(w, placed) : placed;
    }
    return w ?? this.k(0);
  }

  /** flags word = (flags word & ~bits) | (v & bits). */
  private mergeIntoWord(v: Val, bits: number): void {
    const m = this.m;
    this.emit(this.w.set(this.d.f, m.i32.or(m.i32.and(this.w.get(this.d.f), this.c(~bits)), m.i32.and(this.x(v), this.c(bits)))));
  }

  /** Clear `bits` from the runtime masks (their values are now in the flags word or a static record that goes away). */
  private clearRuntime(bits: number): void {
    const f = this.flags;
    const w = this.w;
    if (f.mainMay & bits) this.emit(w.set(this.d.kind, this.m.i32.and(w.get(this.d.kind), this.c(~(bits & LAZY_KIND_MASK)))));
    if ((bits & Flag.CF) && f.cfMay) this.emit(w.set(this.d.ckind, this.c(0)));
    this.flags = { ...f, mainMay: f.mainMay & ~bits, cfMay: f.cfMay && !(bits & Flag.CF) };
  }

  /**
   * Bring the flags of `bits` that static records do not cover from the
   * dynamic records into the flags word (a call of the support module's
   * pure flag functions: only where no boundary computed them already).
   */
  private materialize(bits: number): void {
    const f = this.flags;
    const { w, m, d } = this;
    bits &= ARITH_FLAGS & ~this.covered();
    if ((bits & Flag.CF) && f.cfMay) {
      // The CF record first: the main record, when its mask has CF, overrides it below.
      this.emit(w.if_(this.kindField(d.ckind, 'mask'), w.set(d.f, m.i32.or(m.i32.and(w.get(d.f), this.c(~1)),
        w.call(IMPORTS.carryOf.name, [this.kindField(d.ckind, 'op'), this.kindField(d.ckind, 'size'), w.get(d.cres), w.get(d.ca), w.get(d.cb)], true)))));
    }
    const main = bits & f.mainMay;
    if (main) {
      const word = this.val(w.call(IMPORTS.flagsOf.name, [this.kindField(d.kind, 'op'), this.kindField(d.kind, 'size'), w.get(d.res), w.get(d.a), w.get(d.b)], true));
      const sel = this.val(m.i32.and(w.get(d.kind), this.c(main & LAZY_KIND_MASK)));
      this.emit(w.set(d.f, m.i32.or(m.i32.and(w.get(d.f), m.i32.xor(this.x(sel), this.c(-1))), m.i32.and(this.x(word), this.x(sel)))));
    }
    this.clearRuntime(bits);
  }

  /** Every flag into the flags word; nothing lazy afterwards. */
  private foldAll(): void {
    const covered = this.covered();
    this.materialize(ARITH_FLAGS & ~covered);
    for (const r of [...this.flags.recs].reverse()) this.mergeIntoWord(this.recWord(r, r.mask), r.mask);
    this.flags = { ...this.flags, recs: [] };
    this.clearRuntime(covered);
  }

  /** Fold the oldest static record into the flags word (a third record would be one too many). */
  private foldOldest(): void {
    const recs = this.flags.recs;
    const r = recs[recs.length - 1]!;
    this.mergeIntoWord(this.recWord(r, r.mask), r.mask);
    this.flags = { ...this.flags, recs: recs.slice(0, -1) };
    this.clearRuntime(r.mask);
  }

  /**
   * The dynamic form's fields for the current state, with the flags of
   * `fold` computed into the flags word. Emits what it computes; changes
   * neither the tracking nor the region locals. With `foldStaticCarry`, a
   * CF kept by INC/DEC from a record known at translation time goes into
   * the word too (a comparison or two) rather than into the CF record's
   * four locals: in a loop (`add; inc; loop`) those would be four more
   * values carried around the back edge, and V8 would spill them.
   */
  private settledForm(fold: number, foldStaticCarry = false): { form: Form; mainMay: number; cfMay: boolean } {
    const { d } = this;
    const L = (l: number): Val => new Val(l);
    const runtimeMain = this.runtimeRec(d.kind, d.res, d.a, d.b);
    const runtimeCf = this.runtimeRec(d.ckind, d.cres, d.ca, d.cb);
    const staticRec = (r: Rec): RecVals => ({ op: this.k(r.op), size: this.k(r.size), res: r.res, a: r.a, b: r.b });
    let t = this.flags;
    let recs = t.recs;
    let f: Val = L(d.f);
    const setWord = (v: Val, bits: number): void => {
      f = this.val(this.m.i32.or(this.m.i32.and(this.x(f), this.c(~bits)), this.m.i32.and(this.x(v), this.c(bits))));
    };
    // Main record: a static one (its mask as a constant) or the runtime one; CF record likewise, or none.
    let main: { rec: RecVals; mask: Val; may: number; op?: Rec };
    let cf: { rec: RecVals; mask: Val; may: boolean; op?: Rec } | null;
    const cfRuntime = (): typeof cf => (t.cfMay ? { rec: runtimeCf, mask: runtimeCf.mask, may: true } : null);
    const full = ARITH_FLAGS, noCarry = ARITH_FLAGS & ~Flag.CF;
    if (recs.length === 1 && recs[0]!.mask === full) {
      main = { rec: staticRec(recs[0]!), mask: this.k(full), may: full, op: recs[0]! };
      cf = null;
    } else if (recs.length === 2 && recs[0]!.mask === noCarry && recs[1]!.mask === Flag.CF) {
      main = { rec: staticRec(recs[0]!), mask: this.k(noCarry), may: noCarry, op: recs[0]! };
      cf = { rec: staticRec(recs[1]!), mask: this.k(1), may: true, op: recs[1]! };
    } else if (recs.length === 1 && recs[0]!.mask === noCarry) {
      // INC/DEC on a CF from the runtime records: the runtime main record becomes the CF record when it holds CF.
      main = { rec: staticRec(recs[0]!), mask: this.k(noCarry), may: noCarry, op: recs[0]! };
      if (t.mainMay & Flag.CF) {
        const m = this.m;
        const has = this.val(m.i32.and(this.w.get(d.kind), this.c(1)));
        if (t.cfMay) {
          const pick = (a: Val, b: Val): Val => this.val(m.select(this.x(has), this.x(a), this.x(b)));
          cf = {
            rec: { op: pick(runtimeMain.op, runtimeCf.op), size: pick(runtimeMain.size, runtimeCf.size), res: pick(runtimeMain.res, runtimeCf.res), a: pick(runtimeMain.a, runtimeCf.a), b: pick(runtimeMain.b, runtimeCf.b) },
            mask: this.val(m.i32.or(this.x(has), this.x(runtimeCf.mask))), may: true,
          };
        } else {
          cf = { rec: runtimeMain, mask: has, may: true };
        }
      } else {
        cf = cfRuntime();
      }
    } else {
      // Anything else (partial records after a rotate or SAHF): the static records into the word, the runtime ones stay.
      let mask: Val = runtimeMain.mask;
      let cmask: Val = runtimeCf.mask;
      let covered = 0;
      for (const r of [...recs].reverse()) {
        setWord(this.recWord(r, r.mask), r.mask);
        covered |= r.mask;
      }
      if (covered & t.mainMay) mask = this.and(mask, this.k(~covered));
      if (covered & Flag.CF) cmask = this.k(0);
      recs = [];
      main = { rec: runtimeMain, mask, may: t.mainMay & ~covered };
      cf = t.cfMay && !(covered & Flag.CF) ? { rec: runtimeCf, mask: cmask, may: true } : null;
    }
    if (foldStaticCarry && cf?.op) fold |= Flag.CF;
    // Fold: CF from the CF record first, then the main record's flags (which take precedence).
    if ((fold & Flag.CF) && cf) {
      if (cf.op) {
        setWord(this.recFlag(cf.op, Flag.CF), 1);
      } else {
        const m = this.m;
        const cur = f;
        const carry = this.val(m.if(this.x(cf.mask),
          this.w.call(IMPORTS.carryOf.name, [this.x(cf.rec.op), this.x(cf.rec.size), this.x(cf.rec.res), this.x(cf.rec.a), this.x(cf.rec.b)], true),
          m.i32.and(this.x(cur), this.c(1))));
        setWord(carry, 1);
      }
      cf = null;
    }
    const mainFold = fold & main.may;
    if (mainFold) {
      if (main.op) {
        setWord(this.recWord(main.op, mainFold), mainFold);
        main = { ...main, mask: this.k(main.op.mask & ~fold), may: main.may & ~fold };
      } else {
        const word = this.val(this.w.call(IMPORTS.flagsOf.name, [this.x(main.rec.op), this.x(main.rec.size), this.x(main.rec.res), this.x(main.rec.a), this.x(main.rec.b)], true));
        const sel = this.and(main.mask, this.k(mainFold));
        f = this.val(this.m.i32.or(this.m.i32.and(this.x(f), this.m.i32.xor(this.x(sel), this.c(-1))), this.m.i32.and(this.x(word), this.x(sel))));
        main = { ...main, mask: this.and(main.mask, this.k(~fold)), may: main.may & ~fold };
      }
    } else if (main.op && (main.op.mask & fold)) {
      main = { ...main, mask: this.k(main.op.mask & ~fold), may: main.may & ~fold };
    }
    const none: RecVals = { op: this.k(0), size: this.k(4), res: this.k(0), a: this.k(0), b: this.k(0) };
    return {
      form: { f, mask: main.mask, main: main.rec, cmask: cf ? cf.mask : this.k(0), cf: cf ? cf.rec : none },
      mainMay: main.may,
      cfMay: cf !== null && cf.may,
    };
  }

  /** The flag tracking, to come back to (a block end settles once per edge). */
  saveFlags(): FlagSnapshot {
    return this.flags;
  }

  restoreFlags(s: FlagSnapshot): void {
    this.flags = s as FlagTracking;
  }

  /**
   * Settle into the dynamic form in the region locals, `fold` computed into
   * the flags word; afterwards the tracking is the dynamic form's.
   */
  settleToLocals(fold: number): void {
    const { form, mainMay, cfMay } = this.settledForm(fold, true);
    const { w, d } = this;
    const put = (l: number, v: Val): void => {
      if (v.konst === null && v.local === l) return;
      this.emit(w.set(l, this.x(v)));
    };
    // The CF record first: its new fields may read the main record's locals, which are written next.
    // A record whose mask is 0 is not read: its fields need no value.
    if (form.cmask.konst !== 0) {
      put(d.ckind, this.packedKind(form.cmask, form.cf));
      put(d.cres, form.cf.res); put(d.ca, form.cf.a); put(d.cb, form.cf.b);
    } else {
      put(d.ckind, form.cmask);
    }
    if (form.mask.konst !== 0) {
      put(d.kind, this.packedKind(form.mask, form.main));
      put(d.res, form.main.res);
      // INC, DEC and LOGIC records are read from the result alone (semantics/flags.ts lazyFlag): their
      // operand locals keep whatever they held, one or two fewer values carried around a loop.
      const op = form.main.op.konst;
      if (op !== FlagOp.Inc && op !== FlagOp.Dec && op !== FlagOp.Logic) { put(d.a, form.main.a); put(d.b, form.main.b); }
    } else {
      put(d.kind, form.mask);
    }
    put(d.f, form.f);
    this.flags = { recs: [], mainMay, cfMay };
  }

  /**
   * Statements writing the exact flags to the state block (one lazy
   * record: a CF record is computed into the flags word), the tracking
   * unchanged: for exits and runtime calls. Stores with `inline` (a hot
   * path), else a call of one of the module's writers (which computes the
   * CF record into the word). With `budget`, the budget local is stored
   * too (state.Budget), as a runtime call needs.
   */
  flushToState(inline = false, budget = false): Expr[] {
    const outer = this.take();
    const { form } = this.settledForm(0);
    if (!inline) {
      const values = [form.f, this.packedKind(form.mask, form.main), form.main.res, form.main.a, form.main.b];
      const carry = form.cmask.konst !== 0;
      if (carry) values.push(this.packedKind(form.cmask, form.cf), form.cf.res, form.cf.a, form.cf.b);
      const args = values.map((v) => this.x(v));
      if (budget) args.push(this.budgetWith(0));
      this.emit(this.writeState(carry ? (budget ? 'flagsCarryBudget' : 'flagsCarry') : budget ? 'flagsBudget' : 'flags', args));
      const s = this.take();
      this.stmts = outer;
      return s;
    }
    let word = form.f;
    if (form.cmask.konst !== 0) {
      const cur = word;
      word = this.val(this.carriedWord(() => this.x(cur), this.x(form.cmask), this.x(form.mask),
        [form.cf.op, form.cf.size, form.cf.res, form.cf.a, form.cf.b].map((v) => this.x(v))));
    }
    const values = [word, this.packedKind(form.mask, form.main), form.main.res, form.main.a, form.main.b].map((v) => this.x(v));
    this.emit(...FLAG_SLOTS.map((slot, k) => this.storeState(slot, values[k]!)));
    if (budget) this.emit(this.budgetToState(0));
    const s = this.take();
    this.stmts = outer;
    return s;
  }

  /**
   * The tracking of a block entry in the dynamic form with nothing folded
   * (the shared exits' view of the locals); without a CF record right after
   * loadFlagState().
   */
  assumeDynamic(cfRecord = true): void {
    this.flags = { recs: [], mainMay: ARITH_FLAGS, cfMay: cfRecord };
  }

  flagsOp(op: FlagOp, size: Size, res: Val, a: Val, b: Val): void {
    const defined = flagsDefinedBy(op);
    // INC/DEC keep CF; when nothing can observe CF before it is overwritten, its value is dropped
    // (wherever it was, the flags word's stale bit stands in for it until then).
    const drop = !(defined & Flag.CF) && !(this.observableAfter & Flag.CF) ? Flag.CF : 0;
    const older = this.flags.recs.map((r) => ({ ...r, mask: r.mask & ~defined & ~drop })).filter((r) => r.mask !== 0);
    this.flags = { recs: [{ op, size, res, a, b, mask: defined }, ...older], mainMay: this.flags.mainMay & ~drop, cfMay: this.flags.cfMay && !drop };
    while (this.flags.recs.length > 2) this.foldOldest();
  }

  flag(fl: Flag): Val {
    for (const r of this.flags.recs) {
      if (r.mask & fl) return this.recFlag(r, fl);
    }
    if (fl & ARITH_FLAGS) this.materialize(fl);
    return this.val(this.m.i32.and(this.m.i32.shr_u(this.w.get(this.d.f), this.c(bitOf(fl))), this.c(1)));
  }

  /** Drop `bits` from the static records (their values now live in the flags word). */
  private uncover(bits: number): void {
    const recs = this.flags.recs.map((r) => ({ ...r, mask: r.mask & ~bits })).filter((r) => r.mask !== 0);
    this.flags = { ...this.flags, recs };
    this.clearRuntime(bits);
  }

  setFlag(fl: Flag, v: Val): void {
    const m = this.m;
    // A flag nothing can observe before it is overwritten needs no value (its computation goes unused).
    if (fl & ARITH_FLAGS & ~this.observableAfter) return;
    this.emit(this.w.set(this.d.f, m.i32.or(m.i32.and(this.w.get(this.d.f), this.c(~fl)), m.i32.shl(m.i32.and(this.x(v), this.c(1)), this.c(bitOf(fl))))));
    this.uncover(fl & ARITH_FLAGS);
  }

  eflags(): Val {
    this.foldAll();
    return this.val(this.m.i32.or(this.w.get(this.d.f), this.c(2)));
  }

  setEflags(v: Val, mask: number): void {
    const m = this.m;
    // Flags nothing can observe before they are overwritten need no value.
    mask &= ~(ARITH_FLAGS & ~this.observableAfter);
    if (!mask) return;
    this.emit(this.w.set(this.d.f, m.i32.and(
      m.i32.or(m.i32.or(m.i32.and(this.w.get(this.d.f), this.c(~mask)), m.i32.and(this.x(v), this.c(mask))), this.c(2)),
      this.c(~0x8028))));
    this.uncover(mask & ARITH_FLAGS);
  }

  /**
   * Condition cc. When one static record holds every flag it reads, the
   * common compare-and-branch pairs become one comparison (as
   * ConcreteBackend.cond does): after a plain SUB (CMP) the unsigned and
   * signed orders of its operands, after a logic operation (TEST) the sign
   * and zero of its result, OF and CF being 0.
   */
  cond(cc: number): Val {
    const needs = [Flag.OF, Flag.CF, Flag.ZF, Flag.CF | Flag.ZF, Flag.SF, Flag.PF, Flag.SF | Flag.OF, Flag.ZF | Flag.SF | Flag.OF][cc >> 1]!;
    const r = this.flags.recs.find((x) => (x.mask & needs) === needs);
    const invert = (cc & 1) !== 0;
    if (r && r.op === FlagOp.Sub && this.plain(r) && (cc >> 1) !== 0 && (cc >> 1) !== 4 && (cc >> 1) !== 5) {
      const ua = this.zx(r.a, r.size), ub = this.zx(r.b, r.size);
      const sa = this.sx(r.a, r.size), sb = this.sx(r.b, r.size);
      // The even condition of each pair; odd ones are its negation.
      switch (cc >> 1) {
        case 1: return invert ? this.leU(ub, ua) : this.ltU(ua, ub); // B / AE
        case 2: return invert ? this.ne(ua, ub) : this.eq(ua, ub); // E / NE
        case 3: return invert ? this.ltU(ub, ua) : this.leU(ua, ub); // BE / A
        case 6: return invert ? this.leS(sb, sa) : this.ltS(sa, sb); // L / GE
        case 7: return invert ? this.ltS(sb, sa) : this.leS(sa, sb); // LE / G
      }
    }
    if (r && r.op === FlagOp.Logic && (cc >> 1) !== 5) {
      const v = this.sx(r.res, r.size);
      const zero = this.k(0);
      switch (cc >> 1) {
        case 0: return this.k(invert ? 1 : 0); // O / NO
        case 1: return this.k(invert ? 1 : 0); // B / AE
        case 2: case 3: return invert ? this.ne(v, zero) : this.eq(v, zero); // E, BE (CF = 0) / NE, A
        case 4: case 6: return invert ? this.leS(zero, v) : this.ltS(v, zero); // S, L (OF = 0) / NS, GE
        case 7: return invert ? this.ltS(zero, v) : this.leS(v, zero); // LE / G
      }
    }
    // Zero and sign come from the result alone, for any operation.
    if (r && (cc >> 1) === 2) return invert ? this.ne(this.zx(r.res, r.size), this.k(0)) : this.eq(this.zx(r.res, r.size), this.k(0));
    if (r && (cc >> 1) === 4) return invert ? this.leS(this.k(0), this.sx(r.res, r.size)) : this.ltS(this.sx(r.res, r.size), this.k(0));
    // The odd conditions as an eqz of the even one (a branch on it needs no xor).
    const even = conditionFromFlags(this, (f) => this.flag(f), cc & ~1);
    return invert ? this.eqz(even) : even;
  }

  /** Flags of the current state as a word, read only (REP fast paths test DF): DF is never lazy. */
  flagsWordLocal(): number {
    return this.d.f;
  }
}
