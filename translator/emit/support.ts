/**
 * The support module: Wasm routines every translated region imports, built
 * once per JIT. Region modules import them from a Wasm instance, so the
 * calls stay inside Wasm (no JavaScript in between).
 *
 * flagsOf(op, size, res, a, b) and carryOf(...): the flags of a lazy record
 * passed as arguments (pure: no state block traffic), for translated code
 * that meets a record whose operation is only known at run time. Both are
 * the lazy flag formulas of translator/semantics/flags.ts, emitted for
 * every operation and size behind a jump table, so there is still one
 * description of the flags.
 * dispatch(): see below.
 *
 * It also imports the runtime's JavaScript functions that translated code
 * calls (emit-backend.ts IMPORTS, all but its own two) and exports a Wasm
 * function calling each, which the runtime puts in the shared function
 * table: region modules call them through it (WasmModule.
 * declareTableFunction), so that V8 compiles their import wrappers once,
 * here, not for every region module.
 */
import { Flag, FlagOp, type ModeInfo } from '../semantics/backend.js';
import { flagsDefinedBy, lazyFlag, lazyFlagsWord } from '../semantics/flags.js';
import type { Size } from '../table/types.js';
import { StateSlot } from '../../runtime/cpu.js';
import { EmitBackend, IMPORTS, JitExit, Val } from './emit-backend.js';
import { CODE_HASH_EMPTY, CODE_HASH_ENTRY_BITS, CODE_HASH_PROBES, CODE_HASH_SLOTS } from '../../runtime/host-area.js';
import { TLB_VALID } from '../../runtime/mmu.js';
import { type Expr, i32, none, WasmModule } from './wasm.js';

const OPS: readonly FlagOp[] = [FlagOp.Add, FlagOp.Sub, FlagOp.Logic, FlagOp.Inc, FlagOp.Dec, FlagOp.Shl, FlagOp.Shr, FlagOp.Sar];
const SIZES: readonly Size[] = [1, 2, 4];

/** Index of a lazy record's (op, size) in the jump tables: (op - 1) * 3 + log2(size). */
function caseIndex(op: FlagOp, size: Size): number {
  return (op - 1) * 3 + (size >> 1);
}

/**
 * A br_table over every (op, size) of the lazy record, each case setting
 * `out` from `compute`'s value (cases it skips leave `out` as it was).
 */
function lazySwitch(mod: WasmModule, b: EmitBackend, key: Expr, out: number, compute: (op: FlagOp, size: Size) => Val | null): Expr {
  const m = mod.m;
  const n = OPS.length * SIZES.length;
  const labels = Array.from({ length: n }, (_, i) => `c${i}`);
  let x = m.block('c0', [m.switch(labels, 'dflt', key)]);
  for (let i = 0; i < n; i++) {
    const op = OPS[Math.floor(i / 3)]!;
    const size = SIZES[i % 3]!;
    b.take();
    const v = compute(op, size);
    const stmts = b.take();
    x = m.block(i + 1 < n ? `c${i + 1}` : 'dflt', [x, ...stmts, ...(v ? [mod.set(out, b.x(v))] : []), mod.br('done')]);
  }
  return m.block('done', [x]);
}

/** The runtime functions the support module imports from JavaScript and exports again (its own are flagsOf and carryOf). */
export const SUPPORT_REEXPORTS = Object.values(IMPORTS).filter((f) => f !== IMPORTS.flagsOf && f !== IMPORTS.carryOf);

/** Support modules already built, by layout (every machine of one memory size has the same). */
const built = new Map<string, Uint8Array>();

/** The binary of the support module (built once per layout). */
export function buildSupportModule(memoryPages: number, stateBase: number, tlbBase: number, codeHashBase: number): Uint8Array {
  const key = `${memoryPages}/${stateBase}/${tlbBase}/${codeHashBase}`;
  let binary = built.get(key);
  if (!binary) built.set(key, (binary = build(memoryPages, stateBase, tlbBase, codeHashBase)));
  return binary;
}

function build(memoryPages: number, stateBase: number, tlbBase: number, codeHashBase: number): Uint8Array {
  // The baseline encoder: building it with binaryen would load binaryen.js for this alone (binaryen-lib.ts).
  const mod = new WasmModule(memoryPages, 'direct');
  try {
    mod.importSharedTable();
    const mode: ModeInfo = { code32: true, stack32: true, cpl: 0, protectedMode: true, v86: false };
    const m = mod.m;
    // Parameters of the pure flag functions: op, size, res, a, b.
    const [op, size, res, a, s] = [0, 1, 2, 3, 4];
    const key = (): Expr => m.i32.add(m.i32.mul(m.i32.sub(mod.get(op), mod.k(1)), mod.k(3)), m.i32.shr_u(mod.get(size), mod.k(1)));

    // flagsOf(op, size, res, a, b): the flags the record defines, at their EFLAGS positions (0 for no operation).
    mod.beginFunction(5);
    let b = new EmitBackend({ mod, mode, stateBase, tlbBase, flatSegments: 0, csLimit: 0xffffffff });
    let word = mod.newLocal();
    mod.endFunction('flagsOf', mod.block([
      mod.set(word, mod.k(0)),
      lazySwitch(mod, b, key(), word, (o, z) => lazyFlagsWord(b, o, z, new Val(res), new Val(a), new Val(s))),
      mod.get(word),
    ], true), true);

    // carryOf(op, size, res, a, b): CF (0/1) of the record (0 for INC/DEC, which do not define it).
    mod.beginFunction(5);
    b = new EmitBackend({ mod, mode, stateBase, tlbBase, flatSegments: 0, csLimit: 0xffffffff });
    word = mod.newLocal();
    mod.endFunction('carryOf', mod.block([
      mod.set(word, mod.k(0)),
      lazySwitch(mod, b, key(), word, (o, z) => (flagsDefinedBy(o) & Flag.CF ? lazyFlag(b, Flag.CF, o, z, new Val(res), new Val(a), new Val(s)) : null)),
      mod.get(word),
    ], true), true);

    buildDispatch(mod, b, tlbBase, codeHashBase);
    // Each runtime function as a Wasm function that calls the import: V8 calls a JavaScript function
    // that sits in a table itself through a generic path (a Linux boot took 2.5 times as long).
    for (const f of SUPPORT_REEXPORTS) {
      const js = `${f.name}$js`;
      mod.importFunction(f, js);
      mod.beginFunction(f.params);
      const args = Array.from({ length: f.params }, (_, k) => mod.get(k));
      const call = m.call(js, args, f.results ? i32 : none);
      mod.endFunction(f.name, f.results ? call : mod.block([call]), true, f.results);
    }
    return mod.finish(0);
  } finally {
    mod.dispose();
  }
}

/**
 * dispatch(): the loop that keeps control inside Wasm. While the budget
 * lasts, it translates state.Eip through the TLB (flat CS: EIP is the
 * linear address), finds the translation of (physical address, mode bits)
 * in the code hash table and calls its module's run function through the
 * shared function table, with the entry's number.
 * It returns to the runtime on any exit but Continue, and with JitExit.Miss
 * when the fetch misses the TLB or no translation is registered.
 */
function buildDispatch(mod: WasmModule, b: EmitBackend, tlbBase: number, codeHashBase: number): void {
  const m = mod.m;
  mod.beginFunction(0);
  const lin = mod.newLocal(), e = mod.newLocal(), pa = mod.newLocal(), mode = mod.newLocal(), slot = mod.newLocal(), addr = mod.newLocal(), code = mod.newLocal(), fn = mod.newLocal();
  const get = (l: number): Expr => mod.get(l);
  const miss = mod.ret(mod.k(JitExit.Miss));
  const probes: Expr[] = [];
  for (let k = 0; k < CODE_HASH_PROBES; k++) {
    probes.push(
      mod.set(addr, m.i32.add(mod.k(codeHashBase), m.i32.shl(m.i32.and(m.i32.add(get(slot), mod.k(k)), mod.k(CODE_HASH_SLOTS - 1)), mod.k(4)))),
      mod.if_(m.i32.and(m.i32.and(m.i32.eq(m.i32.load(0, 4, get(addr)), get(pa)), m.i32.eq(m.i32.load(4, 4, get(addr)), get(mode))),
        m.i32.eq(m.i32.load(12, 4, get(addr)), get(lin))), mod.block([
        mod.set(fn, m.i32.load(8, 4, get(addr))),
        mod.set(code, mod.callIndirect(m.i32.shr_u(get(fn), mod.k(CODE_HASH_ENTRY_BITS)), [m.i32.and(get(fn), mod.k((1 << CODE_HASH_ENTRY_BITS) - 1))])),
        mod.if_(get(code), mod.ret(get(code))),
        mod.br('top'),
      ])),
      mod.if_(m.i32.eq(m.i32.load(4, 4, get(addr)), mod.k(CODE_HASH_EMPTY)), miss),
    );
  }
  // The mode bits and the fetch mask hold for the whole call: an instruction that changes them leaves
  // translated code other than by JitExit.Continue (and the runtime sets them before each call).
  const mix = mod.newLocal(), fetchMask = mod.newLocal();
  const loopBody = mod.block([
    mod.if_(m.i32.le_s(b.loadState(StateSlot.Budget), mod.k(0)), mod.ret(mod.k(JitExit.Budget))),
    mod.set(lin, b.loadState(StateSlot.Eip)),
    // The hash of runtime/host-area.ts codeHashStart(), from the linear EIP: the TLB's answer only
    // validates the slot, so the slot's load does not wait for the TLB's.
    mod.set(slot, m.i32.and(m.i32.shr_u(m.i32.mul(m.i32.xor(get(lin), get(mix)), mod.k(0x85ebca6b)), mod.k(16)), mod.k(CODE_HASH_SLOTS - 1))),
    mod.set(e, m.i32.load(tlbBase, 4, m.i32.shl(m.i32.shr_u(get(lin), mod.k(12)), mod.k(2)))),
    mod.if_(m.i32.ne(m.i32.and(get(e), get(fetchMask)), mod.k(TLB_VALID)), miss),
    mod.set(pa, m.i32.xor(m.i32.and(get(e), mod.k(~0xfff)), get(lin))),
    ...probes,
    miss,
  ]);
  mod.endFunction('dispatch', mod.block([
    mod.set(mode, b.loadState(StateSlot.ModeBits)),
    mod.set(mix, m.i32.mul(get(mode), mod.k(0x9e3779b1))),
    mod.set(fetchMask, b.loadState(StateSlot.FetchMask)),
    mod.loop('top', loopBody),
    mod.unreachable(),
  ], true), true);
}
