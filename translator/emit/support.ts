/**
 * The support module: Wasm routines every translated region imports, built
 * once per JIT. Region modules import them from a Wasm instance, so the
 * calls stay inside Wasm (no JavaScript in between).
 *
 * flagsWord(): EFLAGS materialised from the state block's lazy record (the
 * reference tier's ConcreteBackend.eflags(), in Wasm): the lazy flag
 * formulas of translator/semantics/flags.ts, emitted for every operation
 * and size, so there is still one description of the flags.
 */
import { FlagOp, type ModeInfo } from '../semantics/backend.js';
import { lazyFlagsWord } from '../semantics/flags.js';
import type { Size } from '../table/types.js';
import { StateSlot } from '../../runtime/cpu.js';
import { EmitBackend, Val } from './emit-backend.js';
import { type Expr, WasmModule } from './wasm.js';

const OPS: readonly FlagOp[] = [FlagOp.Add, FlagOp.Sub, FlagOp.Logic, FlagOp.Inc, FlagOp.Dec, FlagOp.Shl, FlagOp.Shr, FlagOp.Sar];
const SIZES: readonly Size[] = [1, 2, 4];

/** The binary of the support module. */
export function buildSupportModule(memoryPages: number, stateBase: number, tlbBase: number): Uint8Array {
  const mod = new WasmModule(memoryPages);
  try {
    mod.beginFunction(0);
    const mode: ModeInfo = { code32: true, stack32: true, cpl: 0, protectedMode: true, v86: false };
    const b = new EmitBackend({ mod, mode, stateBase, tlbBase, flatSegments: 0, csLimit: 0xffffffff });
    const m = mod.m;
    const mask = mod.newLocal(), word = mod.newLocal(), key = mod.newLocal();
    const res = mod.newLocal(), a = mod.newLocal(), s = mod.newLocal();
    const body: Expr[] = [
      mod.set(mask, b.loadState(StateSlot.LazyMask)),
      mod.if_(m.i32.eqz(mod.get(mask)), mod.ret(m.i32.or(b.loadState(StateSlot.Flags), mod.k(2)))),
      mod.set(key, m.i32.or(m.i32.shl(b.loadState(StateSlot.LazyOp), mod.k(3)), b.loadState(StateSlot.LazySize))),
      mod.set(res, b.loadState(StateSlot.LazyRes)),
      mod.set(a, b.loadState(StateSlot.LazyA)),
      mod.set(s, b.loadState(StateSlot.LazyB)),
    ];
    const cases: Expr[] = [];
    for (const op of OPS) {
      for (const size of SIZES) {
        b.take();
        const w = lazyFlagsWord(b, op, size, new Val(res), new Val(a), new Val(s));
        const stmts = b.take();
        cases.push(mod.if_(m.i32.eq(mod.get(key), mod.k((op << 3) | size)),
          mod.block([...stmts, mod.set(word, b.x(w))])));
      }
    }
    body.push(...cases);
    // Materialise into the state block as the reference tier does (LazyMask = 0), and return.
    const flags = m.i32.or(m.i32.and(b.loadState(StateSlot.Flags), m.i32.xor(mod.get(mask), mod.k(-1))), m.i32.and(mod.get(word), mod.get(mask)));
    body.push(
      b.storeState(StateSlot.Flags, flags),
      b.storeState(StateSlot.LazyMask, mod.k(0)),
      mod.ret(m.i32.or(b.loadState(StateSlot.Flags), mod.k(2))),
    );
    mod.endFunction('flagsWord', mod.block([...body, mod.unreachable()], true), true);
    return mod.finish(1);
  } finally {
    mod.dispose();
  }
}

