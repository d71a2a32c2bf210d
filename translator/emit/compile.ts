/**
 * Compiles a region into a Wasm module: one exported function `run()`
 * returning a JitExit. Blocks become Relooper blocks; each block starts
 * with the budget check and ends by writing the flags to the state block
 * and branching on the EIP its last instruction chose. Guest registers
 * stay in locals for the whole region and go back to the state block at
 * every exit; a runtime call that throws lands in the catch_all, which
 * does the same and returns JitExit.Exception.
 */
import { SEMANTICS } from '../semantics/index.js';
import type { ModeInfo } from '../semantics/backend.js';
import { StateSlot } from '../../runtime/cpu.js';
import { EmitBackend, IMPORTS, JitExit } from './emit-backend.js';
import type { Region } from './region.js';
import { type Expr, Relooper, WasmModule } from './wasm.js';

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
}

export interface CompiledRegion {
  readonly binary: Uint8Array;
  readonly text?: string;
}

export function compileRegion(region: Region, o: CompileOptions): CompiledRegion {
  const mod = new WasmModule(o.memoryPages);
  try {
    for (const f of Object.values(IMPORTS)) mod.importFunction(f);
    mod.beginFunction(0);
    const b = new EmitBackend({ mod, mode: o.mode, stateBase: o.stateBase, tlbBase: o.tlbBase, flatSegments: o.flatSegments, csLimit: o.csLimit });
    const w = mod;
    const m = mod.m;
    const relooper = new Relooper(mod);

    const exitTo = (eipExpr: Expr, code: JitExit, giveBack = 0): Expr[] => [
      ...b.storeFlagState(),
      ...b.storeRegisters(),
      b.budgetToState(giveBack),
      b.storeState(StateSlot.Eip, eipExpr),
      w.ret(w.k(code)),
    ];

    const ids = new Map<number, number>();
    const order = [...region.blocks.values()];
    const bodies: Expr[][] = [];
    for (const block of order) {
      b.beginBlock();
      const n = block.insns.length;
      // Budget: give up before the block when it would overrun (precise: nothing of it has run).
      b.emit(w.set(b.budgetLocal, m.i32.sub(w.get(b.budgetLocal), w.k(n))));
      b.emit(w.if_(m.i32.lt_s(w.get(b.budgetLocal), w.k(0)), w.block(exitTo(w.k(block.eip), JitExit.Budget, n))));
      block.insns.forEach((insn, k) => {
        b.beginInstruction(insn, n - k);
        SEMANTICS[insn.row.sem]!(b, insn);
        if (b.stored) {
          // A slow-path store that hit translated code: leave after this instruction, so that
          // the rest of the block runs the new bytes (precise self-modifying code).
          // The instructions after this one were charged to the budget at block entry but will not run here.
          const flush = b.endBlockFlagsKeep();
          b.emit(w.if_(w.get(b.smcLocal), w.block([...flush, ...exitTo(w.get(b.nextLocal), JitExit.Continue, n - k - 1)])));
        }
      });
      b.emit(...b.endBlockFlags());
      bodies.push(b.take());
      ids.set(block.eip, relooper.addBlock(w.block(bodies[bodies.length - 1]!)));
    }
    const exitBlock = relooper.addBlock(w.block(exitTo(w.get(b.nextLocal), JitExit.Continue)));
    for (const block of order) {
      const from = ids.get(block.eip)!;
      for (const s of new Set(block.successors)) {
        const to = ids.get(s);
        if (to !== undefined) relooper.addBranch(from, to, m.i32.eq(w.get(b.nextLocal), w.k(s)));
      }
      relooper.addBranch(from, exitBlock, 0);
    }
    const prologue = relooper.addBlock(w.block([...b.loadRegisters(), ...b.loadFlagState(), w.set(b.smcLocal, w.k(0)), w.set(b.budgetLocal, b.loadState(StateSlot.Budget))]));
    relooper.addBranch(prologue, ids.get(region.entry)!, 0);
    const label = mod.newLocal();
    const flow = relooper.render(prologue, label);
    const body = w.block([
      w.tryCatchAll(w.block([flow, w.unreachable()]), w.block([...b.storeRegisters(), w.ret(w.k(JitExit.Exception))])),
      w.unreachable(),
    ], true);
    mod.endFunction('run', body, true);
    const text = o.wantText ? mod.text() : undefined;
    const binary = mod.finish(o.optimize);
    return { binary, text };
  } finally {
    mod.dispose();
  }
}
