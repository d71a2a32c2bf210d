/**
 * Compiles a region into a Wasm module. One function `run(entry)` holds
 * every block and is the module's export (RUN_EXPORT): entry k of
 * CompiledRegion.entries is run(k), returning a JitExit; the dispatcher
 * calls it through the shared function table.
 *
 * - Control flow: the blocks, a prologue and the entry dispatch form a
 *   graph of flow nodes, made structured by structure.ts (or, for an
 *   irreducible graph, run by a dispatch loop). A block ending in a
 *   conditional branch branches on the condition itself; a RET compares
 *   its target with the return points of the CALLs of its function in the
 *   region; leaving the region goes through one exit that writes the
 *   state block.
 * - Entries: the region's own, the instruction after each CALL (where the
 *   RET comes back through the dispatcher) and every loop header (where
 *   the budget test may stop the region). A return point is not an entry
 *   when every RET of its callee branches to it within the region and the
 *   callee leaves the region no other way: only the region reaches it, and
 *   a loop through the call stays reducible. An entry inside a loop it does
 *   not head runs a copy of the blocks from it to that loop's header, and
 *   enters the loop there: the graph stays reducible, and no loop pays for
 *   its entries on every iteration.
 * - Callee pages (Region.callees, CompileOptions.callees): the first
 *   block of a callee page a run reaches checks that the TLB still maps
 *   that page to the frame its code came from, else leaves for the
 *   dispatcher there.
 * - Guest registers stay in locals for the whole region, and the flags in
 *   the emitter's dynamic form between blocks (emit-backend.ts); each edge
 *   computes the flags its target reads (liveness.ts).
 * - The prologue counts entries (CompileOptions.entryCounter): in the
 *   state block, for JitStats.regionEntries, or in an exported global of
 *   the module, which the runtime also reads to compile hot modules again
 *   with binaryen's optimiser (JitStrategy.tierUp).
 * - Budget: every block subtracts its instruction count; the budget is
 *   tested only at entries and loop headers ("check blocks"), for the
 *   longest path to the next check or exit, so it never runs out in
 *   between. A failed test leaves with JitExit.Budget at the block, before
 *   any of it ran (the dispatcher can come back there: it is an entry).
 * - A runtime call that fails sets state.Raised; the code after it writes
 *   the registers back and returns JitExit.Exception (the flags were
 *   written before the call): EmitBackend.raised(). No try/catch_all.
 */
import { Flag, type ModeInfo } from '../semantics/backend.js';
import { StateSlot } from '../../runtime/cpu.js';
import { EmitBackend, HELPER_MODULE_ID, type HelperSite, IMPORTS, JitExit, type Next, RAISE_EXIT, COLD_EXIT, Untranslatable } from './emit-backend.js';
import { regionLiveness } from './liveness.js';
import { type Block, type Region, runsIntoNextPage, translatedSemantics } from './region.js';
import { bulkString, emitBulkString } from './string-ops.js';
import { exitLabel, type FlowNode, naturalLoops, reducible, structure, tableCode, type Target, type Terminator } from './structure.js';
import { type Encoder, type Expr, WasmModule } from './wasm.js';

export interface CompileOptions {
  readonly memoryPages: number;
  readonly stateBase: number;
  readonly tlbBase: number;
  readonly mode: ModeInfo;
  readonly flatSegments: number;
  readonly csLimit: number;
  /** binaryen optimisation level (0: none). */
  readonly optimize: number;
  /** Also return the module's text (wabt-style, from binaryen). */
  readonly wantText?: boolean;
  /**
   * How the cheap sensitive instructions are translated (JitStrategy.
   * sensitive): 'trap' (absent) ends a block before each; 'inline'
   * translates them (region.ts inlineSensitive).
   */
  readonly sensitive?: 'trap' | 'inline';
  /**
   * EIPs of instructions whose memory accesses call the runtime on a TLB
   * miss even inside loops (where a miss otherwise leaves the region):
   * accesses the runtime saw miss again and again (a device page such as
   * the local APIC's; runtime/jit noteSlowSite).
   */
  readonly directAccess?: readonly number[];
  /**
   * Who writes the module: the baseline encoder (wasm-bytes.ts, the
   * default at level 0 without text) or binaryen (always for optimised
   * levels and text).
   */
  readonly encoder?: Encoder;
  /**
   * The baseline encoder's locals: shared among temporaries whose live
   * ranges do not meet (true, the default: ExprBuilder.coalesceLocals), or
   * one each as the emitter made them (false: binaryen's bytes at -O0).
   */
  readonly coalesceLocals?: boolean;
  /**
   * For regions whose last instructions run into the next page
   * (Region.tailEnd > 0): that page's linear address and the physical
   * address of the frame its bytes were read from. Such an instruction
   * first checks the TLB still maps one to the other, else leaves for the
   * interpreter (EmitBackend.requireFetchPage).
   */
  readonly tail?: { readonly lin: number; readonly pa: number };
  /**
   * The pages besides the entry's whose code the region took in
   * (Region.callees): each one's linear address and the physical address
   * of the frame its bytes were read from. Translations with callee pages
   * run with a flat CS (EIP is the linear address). The first block of
   * such a page that a run of the region reaches checks that the TLB still
   * maps the one to the other, else leaves for the dispatcher at that
   * block; the entry's page needs no check (the dispatcher's lookup made
   * it, and no instruction a region runs changes a mapping the TLB holds).
   */
  readonly callees?: ReadonlyArray<{ readonly lin: number; readonly pa: number }>;
  /**
   * Where the prologue counts entries: 'state' (absent), one counter for
   * all regions in the state block (StateSlot.RegionEntries); 'module', an
   * exported mutable global of the module (ENTRY_COUNTER), for a runtime
   * that needs each module's count (JitStrategy.tierUp). V8 keeps an
   * exported global's value apart from the instance, so that counting in
   * it costs every entry a load from a line of its own: in a profile of a
   * Linux guest's shell loop, region entries (the code fetch, the
   * instance's fields, that counter) took half of translated code's time.
   */
  readonly entryCounter?: 'state' | 'module';
}

export interface CompiledRegion {
  readonly binary: Uint8Array;
  readonly text?: string;
  /** Entry EIPs: entry k is run(k) (the region's own entry first). */
  readonly entries: readonly number[];
  /** The instructions that call runtime helpers, by helper site (the `helper` import's first argument). */
  readonly helperSites: readonly HelperSite[];
}

/**
 * The module's one exported function: run(k) enters at entry k (CompiledRegion.entries[k]).
 * The dispatcher calls it through the shared function table with k from the code hash slot: no
 * per-entry thunk, whose own call (a separate piece of V8 code, never tiered up) cost an
 * instruction-cache miss on every region entry.
 */
export const RUN_EXPORT = 'run';

/** The exported global counting the module's entries. */
export const ENTRY_COUNTER = 'entries';

/** Most return points a run-time jump target is compared with before the region leaves for the dispatcher. */
const MAX_RETURN_CANDIDATES = 8;

/**
 * The structure's exits: leaving for the dispatcher, the budget test failing (and EmitBackend's
 * RAISE_EXIT, a failed runtime call, and COLD_EXIT, every other way out).
 */
const EXIT_CONTINUE = 0;
const EXIT_BUDGET = 1;

/** The return point after a block ending in a CALL of the region, if any. */
function returnPointAfter(block: Block, region: Region): number | null {
  const last = block.insns[block.insns.length - 1]!;
  return last.row.ends === 'call' && region.returnPoints.includes(last.nextEip) ? last.nextEip : null;
}

interface Shape {
  /** In-region successors each block may continue at (a superset of what its code does). */
  readonly succs: Map<number, number[]>;
  /** Per block ending in a RET: the return points it branches to within the region (else it leaves). */
  readonly returns: ReadonlyMap<number, readonly number[]>;
  readonly entries: number[];
  readonly checks: Set<number>;
  readonly maxPath: Map<number, number>;
  /**
   * Per entry that lies inside a loop it does not head: the blocks from it
   * to that loop's header (the outermost such loop), which the entry runs
   * as a copy of its own, so that the loop is still entered only at its
   * header. Null when the graph is not reducible (the dispatch loop enters
   * anywhere).
   */
  readonly copies: Map<number, Set<number>> | null;
  /** Blocks inside a loop (every block when the graph is not reducible). */
  readonly inLoop: Set<number>;
}

/** Most blocks a region copies for its entries; entries whose copies do not fit are left out. */
const MAX_COPIED_BLOCKS = 48;

/**
 * The region's control-flow facts: successors, loop headers, entries,
 * longest paths, entry chains. A RET branches within the region to the
 * return points it may come back to only if that keeps the graph
 * reducible (a RET of one function could otherwise jump into a loop of
 * another); else it leaves through the dispatcher, which re-enters at the
 * return point.
 */
function shapeOf(region: Region): Shape {
  const inner = shapeWith(region, true);
  return inner.copies ? inner : shapeWith(region, false);
}

function shapeWith(region: Region, returnsInRegion: boolean): Shape {
  const { returns, covered } = returnsInRegion ? returnCandidates(region) : { returns: new Map<number, number[]>(), covered: new Set<number>() };
  // The return points control may reach from outside the region (covered ones only through its RETs).
  const returnEntries = region.returnPoints.filter((e) => !covered.has(e));
  const succs = new Map<number, number[]>();
  for (const [eip, block] of region.blocks) {
    const s = new Set(block.successors.filter((t) => region.blocks.has(t)));
    for (const r of returns.get(eip) ?? []) s.add(r);
    succs.set(eip, [...s]);
  }
  const layout = (eip: number): number[] => succs.get(eip)!;
  // Loop headers: targets of back edges of a depth-first search (every cycle has one).
  const roots = [region.entry, ...returnEntries];
  const checks = new Set<number>();
  const state = new Map<number, 1 | 2>();
  for (const root of roots) {
    if (state.has(root)) continue;
    const stack: Array<{ eip: number; next: number }> = [{ eip: root, next: 0 }];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const out = layout(top.eip);
      if (top.next < out.length) {
        const s = out[top.next++]!;
        const st = state.get(s);
        if (st === 1) checks.add(s);
        else if (st === undefined) {
          state.set(s, 1);
          stack.push({ eip: s, next: 0 });
        }
      } else {
        state.set(top.eip, 2);
        stack.pop();
      }
    }
  }
  const entries = [region.entry];
  for (const e of [...returnEntries, ...[...region.blocks.keys()].filter((b) => checks.has(b))]) if (!entries.includes(e)) entries.push(e);
  for (const e of entries) checks.add(e);
  // Longest path (in instructions) from a block to the next check block or exit: the graph without
  // the edges into check blocks is acyclic.
  const maxPath = new Map<number, number>();
  const path = (eip: number): number => {
    const known = maxPath.get(eip);
    if (known !== undefined) return known;
    let most = 0;
    for (const s of succs.get(eip)!) if (!checks.has(s)) most = Math.max(most, path(s));
    const v = region.blocks.get(eip)!.insns.length + most;
    maxPath.set(eip, v);
    return v;
  };
  for (const eip of region.blocks.keys()) path(eip);
  // Natural loops, from a root standing for the prologue, which branches to every entry. (A return
  // point is not a successor of its CALL: the callee's RET comes back through the dispatcher or a
  // RET of the region.)
  const ROOT = -1;
  const loops = naturalLoops([ROOT, ...region.blocks.keys()], (e) => (e === ROOT ? [region.entry, ...returnEntries] : layout(e)), ROOT);
  const inLoop = new Set<number>(loops ? [...loops.values()].flatMap((body) => [...body]) : region.blocks.keys());
  let copies: Map<number, Set<number>> | null = null;
  if (loops) {
    copies = new Map();
    let copied = 0;
    const wanted: Array<[number, Set<number>]> = [];
    for (const e of entries.slice(1)) {
      const host = [...loops].filter(([h, body]) => h !== e && body.has(e)).sort((a, b) => b[1].size - a[1].size)[0];
      if (!host) continue;
      const [header, body] = host;
      const set = new Set([e]);
      const work = [e];
      while (work.length) {
        for (const t of succs.get(work.pop()!)!) {
          if (t !== header && body.has(t) && !set.has(t)) { set.add(t); work.push(t); }
        }
      }
      wanted.push([e, set]);
    }
    // Smallest copies first; an entry whose copy does not fit stays a loop header without an entry
    // (a budget exit there resumes in the interpreter until the next entry).
    for (const [e, set] of wanted.sort((a, b) => a[1].size - b[1].size)) {
      if (copied + set.size > MAX_COPIED_BLOCKS) { entries.splice(entries.indexOf(e), 1); continue; }
      copied += set.size;
      copies.set(e, set);
    }
  }
  return { succs, returns, entries, checks, maxPath, copies, inLoop };
}

/** The encoder a compilation uses: the baseline one unless the options need binaryen. */
export function encoderFor(o: Pick<CompileOptions, 'optimize' | 'wantText' | 'encoder'>): Encoder {
  return o.optimize > 0 || o.wantText ? 'binaryen' : o.encoder ?? 'direct';
}

export function compileRegion(region: Region, o: CompileOptions): CompiledRegion {
  const mod = new WasmModule(o.memoryPages, encoderFor(o), o.coalesceLocals ?? true);
  try {
    // Called through the runtime's function table (WasmModule.declareTableFunction).
    for (const f of Object.values(IMPORTS)) mod.declareTableFunction(f);
    mod.beginFunction(1);
    const entryParam = 0;
    const b = new EmitBackend({ mod, mode: o.mode, stateBase: o.stateBase, tlbBase: o.tlbBase, flatSegments: o.flatSegments, csLimit: o.csLimit });
    const w = mod;
    const m = mod.m;
    const inline = o.sensitive === 'inline';
    const direct = new Set(o.directAccess ?? []);
    const live = regionLiveness(region, o.mode, inline);
    const shape = shapeOf(region);
    const { succs, entries, checks, maxPath } = shape;

    // Nodes: the blocks, the entries' copies, the prologue.
    const blockIndex = new Map<number, number>();
    for (const eip of region.blocks.keys()) blockIndex.set(eip, blockIndex.size);
    const copyIndex = new Map<number, Map<number, number>>();
    let count = blockIndex.size;
    for (const [e, set] of shape.copies ?? []) copyIndex.set(e, new Map([...set].map((eip) => [eip, count++])));
    const prologueIndex = count++;
    const nodes: FlowNode[] = new Array<FlowNode>(count);
    const exitTo = (eip: number): Target => ({ exit: EXIT_CONTINUE, code: [w.set(b.nextLocal, w.k(eip))] });
    // Per callee page: its frame, and a local set once this run has checked its mapping (locals start at 0).
    const calleePages = new Map((o.callees ?? []).map((c) => [c.lin >>> 12, { ...c, checked: w.newLocal() }]));

    /** One block's code and terminator; `nodeOf` says which node a branch to an in-region block goes to. */
    const emitBlock = (eip: number, nodeOf: (t: number) => number): FlowNode => {
      const block = region.blocks.get(eip)!;
      b.beginBlock(live.liveIn.get(eip)!);
      const inLoop = shape.inLoop.has(eip);
      const n = block.insns.length;
      if (checks.has(eip)) {
        b.emit(w.ifUnlikely(m.i32.lt_s(w.get(b.budgetLocal), w.k(maxPath.get(eip)!)), w.block([w.set(b.nextLocal, w.k(eip)), w.br(exitLabel(EXIT_BUDGET))])));
      }
      const callee = calleePages.get(eip >>> 12);
      if (callee) {
        // A block of a callee page: the page must still map the frame its code came from (else the
        // dispatcher goes on here, with nothing of the block run).
        const before = b.take();
        const moved = b.fetchPageMoved(callee.lin, callee.pa);
        const load = b.take();
        b.emit(...before, w.if_(m.i32.eqz(w.get(callee.checked)), w.block([
          ...load,
          w.ifUnlikely(moved, w.block([w.set(b.nextLocal, w.k(eip)), w.br(exitLabel(EXIT_CONTINUE))])),
          w.set(callee.checked, w.k(1)),
        ])));
      }
      b.emit(w.set(b.budgetLocal, m.i32.sub(w.get(b.budgetLocal), w.k(n))));
      const after = live.liveAfter.get(eip)!;
      const observable = live.observableAfter.get(eip)!;
      block.insns.forEach((insn, k) => {
        b.beginInstruction(insn, n - k, after[k]!, observable[k]!);
        b.exitOnMiss = inLoop && !direct.has(insn.eip);
        if (runsIntoNextPage(insn)) {
          if (!o.tail) throw new Error(`instruction at ${insn.eip.toString(16)} runs into the next page, which the job did not map`);
          b.requireFetchPage(o.tail.lin, o.tail.pa);
        }
        if (bulkString(insn, o.flatSegments)) emitBulkString(b, insn, maxPath.get(eip)! - n);
        const flagsInstruction = inline && (insn.row.sem === 'pushf' || insn.row.sem === 'popf');
        if (flagsInstruction) b.countInline();
        translatedSemantics(insn, inline)(b, insn);
        if (flagsInstruction && insn.row.sem === 'popf') {
          // POPF that set TF: single-stepping begins with the next instruction, in the interpreter. The
          // exit is a budget exit, which the dispatcher does not follow (a Continue it would, into
          // translated code that checks no TF); the interpreter ends its slice there too. Nothing else
          // POPF writes is in the translation's key. POPF that set IF while an event waits for it
          // (state.IntrWaiting, 0 or 1: IF is bit 9) leaves the same way, for the vCPU to take the event.
          const leaveOn = m.i32.or(w.k(Flag.TF), m.i32.shl(b.loadState(StateSlot.IntrWaiting), w.k(9)));
          b.emit(w.ifUnlikely(m.i32.and(w.get(b.flagsWordLocal()), leaveOn), w.block(b.exitAfterInstruction(n - k - 1, JitExit.Budget))));
        }
        if (inline && insn.row.sem === 'sti') {
          // STI, run with IF = 0 (else the region would have left where IF became 1), while an event
          // waits for IF: leave after it, for the vCPU to step the instruction its blocking covers and
          // take the event.
          b.emit(w.ifUnlikely(b.loadState(StateSlot.IntrWaiting), w.block(b.exitAfterInstruction(n - k - 1, JitExit.Budget))));
        }
        if (b.stored) {
          // A slow-path store that hit translated code: leave after this instruction, so that
          // the rest of the block runs the new bytes (precise self-modifying code).
          // The instructions after this one were charged to the budget at block entry but will not run here.
          b.emit(w.ifUnlikely(w.get(b.smcLocal), w.block(b.exitAfterInstruction(n - k - 1))));
        }
      });
      const inRegion = new Set(succs.get(eip)!);
      const next = b.next;
      const targets = targetsOf(next, inRegion, shape.returns.get(eip) ?? []);
      // Each edge settles the flags into the dynamic form, computing those its target reads. When the
      // edges need different flags, each settles on its own (a loop's back edge should not compute what
      // only the exit needs); else the block settles once.
      const foldOf = (t: number): number => (inRegion.has(t) ? live.liveIn.get(t)! : 0);
      const edgeTargets = next.kind === 'eip' ? [next.eip] : next.kind === 'cond' ? [next.taken, next.fall] : [...targets, -1];
      const folds = new Set(edgeTargets.map((t) => (t === -1 ? 0 : foldOf(t))));
      const snapshot = b.saveFlags();
      const settle = (fold: number): Expr[] => {
        b.restoreFlags(snapshot);
        b.settleToLocals(fold);
        return b.take();
      };
      const code = b.take();
      if (folds.size === 1) code.push(...settle([...folds][0]!));
      const edge = (t: number): Expr[] => (folds.size === 1 ? [] : settle(t === -1 ? 0 : foldOf(t)));
      const to = (t: number): Target => (inRegion.has(t) ? { node: nodeOf(t), code: edge(t) } : { exit: EXIT_CONTINUE, code: [...edge(t), w.set(b.nextLocal, w.k(t))] });
      let term: Terminator;
      if (next.kind === 'eip') {
        term = { kind: 'goto', to: to(next.eip) };
      } else if (next.kind === 'cond') {
        if (next.taken === next.fall) term = { kind: 'goto', to: to(next.taken) };
        else if (!inRegion.has(next.taken) && !inRegion.has(next.fall)) {
          term = { kind: 'goto', to: { exit: EXIT_CONTINUE, code: [...edge(next.taken), w.set(b.nextLocal, m.select(b.x(next.c), w.k(next.taken), w.k(next.fall)))] } };
        } else {
          term = { kind: 'if', cond: b.x(next.c), then: to(next.taken), else: to(next.fall) };
        }
      } else {
        term = {
          kind: 'switch',
          cases: targets.map((t) => ({ cond: m.i32.eq(w.get(b.nextLocal), w.k(t)), to: { node: nodeOf(t), code: edge(t) } })),
          default: { exit: EXIT_CONTINUE, code: edge(-1) },
        };
      }
      return { code, term };
    };
    const original = (t: number): number => blockIndex.get(t)!;
    for (const eip of region.blocks.keys()) nodes[original(eip)] = emitBlock(eip, original);
    for (const index of copyIndex.values()) {
      // A copy branches within the copy, else to the original blocks (the loop's header among them).
      const within = (t: number): number => index.get(t) ?? original(t);
      for (const [eip, node] of index) nodes[node] = emitBlock(eip, within);
    }

    // Prologue: the state block into the locals, then to the entry the parameter names, its live flags computed.
    const enter = (e: number): Target => {
      b.assumeDynamic(false);
      b.settleToLocals(live.liveIn.get(e)!);
      return { node: copyIndex.get(e)?.get(e) ?? original(e), code: b.take() };
    };
    // Entry k of the module's exports is case k of one br_table (entry 0 the default): a chain of comparisons
    // would cost a return into a region with many calls as many tests as its return points.
    const cases: Target[] = [];
    for (let k = 1; k < entries.length; k++) cases.push(enter(entries[k]!));
    // The entry counter (CompileOptions.entryCounter).
    const perModule = o.entryCounter === 'module';
    if (perModule) w.exportedGlobal(ENTRY_COUNTER, 0);
    nodes[prologueIndex] = {
      code: [
        perModule
          ? w.globalSet(ENTRY_COUNTER, m.i32.add(w.globalGet(ENTRY_COUNTER), w.k(1)))
          : b.storeState(StateSlot.RegionEntries, m.i32.add(b.loadState(StateSlot.RegionEntries), w.k(1))),
        ...b.loadRegisters(true), ...b.loadFlagState(), w.set(b.smcLocal, w.k(0)), w.set(b.budgetLocal, b.loadState(StateSlot.Budget)),
      ],
      term: cases.length ? { kind: 'table', index: m.i32.sub(w.get(entryParam), w.k(1)), cases, default: enter(entries[0]!) } : { kind: 'goto', to: enter(entries[0]!) },
    };

    /** Leave for the dispatcher with the dynamic form in the locals and the EIP in nextLocal. */
    const exitCode = (code: JitExit): Expr[] => {
      b.assumeDynamic();
      // Stores, not the state writers: every transfer to another region runs one of these two. All the blocks
      // are emitted by now: only the registers some block assigns.
      return [...b.flushToState(true), ...b.storeAssignedRegisters(), b.budgetToState(0), b.storeState(StateSlot.Eip, w.get(b.nextLocal)), w.ret(w.k(code))];
    };
    const exits: Expr[][] = [];
    exits[EXIT_CONTINUE] = exitCode(JitExit.Continue);
    exits[EXIT_BUDGET] = exitCode(JitExit.Budget);
    // EmitBackend.raised(): the flags, budget and EIP are in the state block already.
    exits[RAISE_EXIT] = [...b.storeAssignedRegisters(), w.ret(w.k(JitExit.Exception))];
    // Every other way out (EmitBackend COLD_EXIT): flags, EIP and budget written, the code in exitCodeLocal.
    exits[COLD_EXIT] = [...b.storeAssignedRegisters(), w.ret(w.get(b.exitCodeLocal))];
    const flow = shape.copies && reducible(nodes, prologueIndex)
      ? structure(w, nodes, prologueIndex, exits)
      : dispatchLoopFlow(mod, nodes, prologueIndex, exits);
    const body = w.block([flow, w.unreachable()], true);
    mod.endFunction(RUN_EXPORT, body, true);
    b.defineStateWriters();
    // The module's number for the shared helper function (IMPORTS.helper), set by the runtime.
    if (b.helperSites.length) w.exportedGlobal(HELPER_MODULE_ID, 0);
    const text = o.wantText ? mod.text() : undefined;
    const binary = mod.finish(o.optimize);
    return { binary, text, entries, helperSites: [...b.helperSites] };
  } finally {
    mod.dispose();
  }
}

/**
 * Where each RET of the region may return within it: the return points of
 * the CALLs of the function the RET belongs to (the blocks a call target
 * reaches without entering another call, a call continuing at its return
 * point). A RET of no called function (the region's own caller returns
 * there) gets none.
 */
function returnCandidates(region: Region): { returns: Map<number, number[]>; covered: Set<number> } {
  const callers = new Map<number, number[]>();
  for (const block of region.blocks.values()) {
    const rp = returnPointAfter(block, region);
    const last = block.insns[block.insns.length - 1]!;
    const target = last.operands.find((o) => o.kind === 'rel');
    if (rp === null || !target || target.kind !== 'rel' || !region.blocks.has(target.target)) continue;
    const list = callers.get(target.target) ?? [];
    if (!list.includes(rp)) list.push(rp);
    callers.set(target.target, list);
  }
  const out = new Map<number, number[]>();
  // Per called function: its RETs, and whether control may leave the region from it other than by a
  // RET of the region or a call whose return point is in it (where a RET from outside could come back).
  const walks: Array<{ points: number[]; rets: number[]; leaves: boolean }> = [];
  for (const [fn, points] of callers) {
    const seen = new Set([fn]);
    const work = [fn];
    const walk = { points, rets: [] as number[], leaves: false };
    walks.push(walk);
    while (work.length) {
      const eip = work.pop()!;
      const block = region.blocks.get(eip)!;
      const rp = returnPointAfter(block, region);
      const next = rp !== null ? [rp] : block.successors.filter((t) => region.blocks.has(t));
      const ends = block.insns[block.insns.length - 1]!.row.ends;
      if (ends === 'ret') {
        walk.rets.push(eip);
        const list = out.get(eip) ?? [];
        for (const p of points) if (!list.includes(p) && list.length < MAX_RETURN_CANDIDATES) list.push(p);
        out.set(eip, list);
      } else if (rp === null && (ends === 'event' || block.successors.length === 0 || block.successors.some((t) => !region.blocks.has(t)))) {
        walk.leaves = true;
      }
      for (const t of next) if (!seen.has(t)) { seen.add(t); work.push(t); }
    }
  }
  // A return point every RET of its callee branches to, from a callee that leaves no other way, is
  // reached only inside the region: it need not be an entry.
  const covered = new Set<number>();
  for (const w of walks) {
    if (w.leaves || w.rets.length === 0) continue;
    for (const p of w.points) if (w.rets.every((r) => out.get(r)!.includes(p))) covered.add(p);
  }
  return { returns: out, covered };
}

/** In-region blocks control can continue at after a block that ended with `next`. */
function targetsOf(next: Next, inRegion: ReadonlySet<number>, returns: readonly number[]): number[] {
  if (next.kind === 'eip') return inRegion.has(next.eip) ? [next.eip] : [];
  if (next.kind === 'cond') return [...new Set([next.taken, next.fall])].filter((t) => inRegion.has(t));
  return returns.filter((t) => inRegion.has(t));
}

/**
 * The same graph as a dispatch loop, for a graph the structurer cannot
 * take (irreducible: a loop entered other than through its header): a
 * label local names the next node, and a br_table at the top of a loop
 * jumps to it. Slower (an indirect jump per block) but always possible;
 * exits are the same labelled blocks around the flow as structure() makes.
 */
export function dispatchLoopFlow(mod: WasmModule, nodes: readonly FlowNode[], root: number, exits: readonly Expr[][]): Expr {
  const w = mod;
  const label = mod.newLocal();
  const go = (t: Target): Expr[] => [...(t.code ?? []), ...('exit' in t ? [w.br(exitLabel(t.exit))] : [w.set(label, w.k(t.node)), w.br('top')])];
  const caseCode = (n: FlowNode, k: number): Expr[] => {
    const t = n.term;
    if (t.kind === 'goto') return [...n.code, ...go(t.to)];
    if (t.kind === 'if') return [...n.code, w.if_(t.cond, w.block(go(t.then)), w.block(go(t.else)))];
    if (t.kind === 'table') return [...n.code, ...tableCode(w, `t${k}_`, t.index, t.cases.map(go), go(t.default))];
    let out = go(t.default);
    for (let c = t.cases.length - 1; c >= 0; c--) out = [w.if_(t.cases[c]!.cond, w.block(go(t.cases[c]!.to)), w.block(out))];
    return [...n.code, ...out];
  };
  // One br_table on the label: node k is case k, the last node the default.
  const inner = w.block(tableCode(w, 'c', w.get(label), nodes.slice(0, -1).map(caseCode), caseCode(nodes[nodes.length - 1]!, nodes.length - 1)));
  let out: Expr = w.block([w.set(label, w.k(root)), w.loop('top', inner), w.unreachable()]);
  exits.forEach((code, k) => {
    out = w.block([w.named(exitLabel(k), [out]), ...code]);
  });
  return out;
}

export { Untranslatable };
