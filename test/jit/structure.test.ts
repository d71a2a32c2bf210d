/**
 * The structured control flow of translator/emit/structure.ts: graphs of
 * flow nodes (loops, nested loops, merges, multi-way branches, exits) are
 * made structured, compiled, and run on sequences of branch decisions; the
 * nodes they visit must be the ones a direct walk of the graph visits. Also
 * the graph facts the region compiler relies on: reducibility and natural
 * loops.
 *
 *   npx vitest run test/jit/structure.test.ts
 */
import { describe, expect, it } from 'vitest';
import { type FlowNode, naturalLoops, reducible, structure, type Target } from '../../translator/emit/structure.js';
import { dispatchLoopFlow } from '../../translator/emit/compile.js';
import { type Expr, WasmModule } from '../../translator/emit/wasm.js';

/**
 * A graph as plain data: per node, its successors; a node with one is a
 * goto, two an if (taken on an odd decision), more a switch on the
 * decision. -1 and -2 are the two exits.
 */
type Graph = readonly (readonly number[])[];

const TRACE = 0;
const DECISIONS = 4096;
const MAX_STEPS = 400;

/** Walk the graph directly: the nodes visited and the exit reached (-1 for running out of steps). */
function walk(g: Graph, decisions: readonly number[]): { trace: number[]; exit: number } {
  const trace: number[] = [];
  let n = 0, d = 0;
  for (;;) {
    if (trace.length >= MAX_STEPS) return { trace, exit: -1 };
    trace.push(n);
    const out = g[n]!;
    let next: number;
    if (out.length === 1) next = out[0]!;
    else {
      const v = decisions[d++ % decisions.length]!;
      next = out.length === 2 ? out[v & 1 ? 0 : 1]! : out[v % out.length]!;
    }
    if (next < 0) return { trace, exit: -next - 1 };
    n = next;
  }
}

/**
 * How run() builds the code: structure() or the region compiler's dispatch
 * loop (its fallback for irreducible graphs), and multi-way nodes as a
 * chain of tests ('switch') or one br_table ('table', as a region's entries).
 */
interface Lowering { readonly flow: 'structure' | 'dispatch'; readonly multiway: 'switch' | 'table' }

/** Compile the graph and run it: the same observations as walk(). */
function run(g: Graph, decisions: readonly number[], how: Lowering = { flow: 'structure', multiway: 'switch' }): { trace: number[]; exit: number } {
  const mod = new WasmModule(1);
  try {
    mod.beginFunction(0);
    const m = mod.m;
    const pos = mod.newLocal(), di = mod.newLocal(), dec = mod.newLocal();
    const to = (t: number): Target => (t < 0 ? { exit: -t - 1 } : { node: t });
    const nodes: FlowNode[] = g.map((out, id) => {
      const code: Expr[] = [
        // Out of steps: leave with -1.
        mod.if_(m.i32.ge_u(mod.get(pos), mod.k(MAX_STEPS * 4)), mod.ret(mod.k(-1))),
        mod.store(TRACE, 4, mod.get(pos), mod.k(id)),
        mod.set(pos, m.i32.add(mod.get(pos), mod.k(4))),
      ];
      if (out.length === 1) return { code, term: { kind: 'goto', to: to(out[0]!) } };
      code.push(
        mod.set(dec, mod.load(DECISIONS, 4, m.i32.shl(m.i32.rem_u(mod.get(di), mod.k(decisions.length)), mod.k(2)))),
        mod.set(di, m.i32.add(mod.get(di), mod.k(1))),
      );
      if (out.length === 2) return { code, term: { kind: 'if', cond: m.i32.and(mod.get(dec), mod.k(1)), then: to(out[0]!), else: to(out[1]!) } };
      const choice = (): Expr => m.i32.rem_u(mod.get(dec), mod.k(out.length));
      if (how.multiway === 'table') {
        // Choice 0 is the default: index -1, outside the table.
        return { code, term: { kind: 'table', index: m.i32.sub(choice(), mod.k(1)), cases: out.slice(1).map(to), default: to(out[0]!) } };
      }
      const cases = out.slice(1).map((t, k) => ({ cond: m.i32.eq(choice(), mod.k(k + 1)), to: to(t) }));
      return { code, term: { kind: 'switch', cases, default: to(out[0]!) } };
    });
    expect(reducible(nodes, 0), 'the graph is reducible').toBe(true);
    const exits = [[mod.ret(m.i32.shr_u(mod.get(pos), mod.k(2)))], [mod.ret(m.i32.add(mod.k(10000), m.i32.shr_u(mod.get(pos), mod.k(2))))]];
    const flow = how.flow === 'structure' ? structure(mod, nodes, 0, exits) : dispatchLoopFlow(mod, nodes, 0, exits);
    mod.endFunction('f', mod.block([flow, mod.unreachable()], true), true);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(mod.finish(0) as Uint8Array<ArrayBuffer>), { env: { memory } });
    const words = new Int32Array(memory.buffer);
    decisions.forEach((v, k) => { words[DECISIONS / 4 + k] = v; });
    const r = (instance.exports.f as () => number)();
    const count = r < 0 ? MAX_STEPS : r % 10000;
    return { trace: Array.from(words.subarray(0, count)), exit: r < 0 ? -1 : r >= 10000 ? 1 : 0 };
  } finally {
    mod.dispose();
  }
}

/** A small deterministic generator of decision sequences. */
function decisionsFrom(seed: number, length: number): number[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length }, () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x % 7;
  });
}

const GRAPHS: Readonly<Record<string, Graph>> = {
  'a straight line to an exit': [[1], [2], [-1]],
  'a diamond (a merge node)': [[1, 2], [3], [3], [-2]],
  'a self-loop': [[1], [1, 2], [-1]],
  'a loop with two back edges and two exits': [[1], [2, 3], [1, 4], [1, -2], [-1]],
  'nested loops': [[1], [2], [3, 2], [1, 4], [-1]],
  'nested loops with an inner exit straight out': [[1], [2], [3, -2], [2, 4], [1, -1]],
  'a switch into a merge inside a loop': [[1], [2, 3, 4], [5], [5], [-2], [1, -1]],
  'three nested loops sharing a latch': [[1], [2], [3], [3, 4], [2, 5], [1, -1]],
  'a loop whose header is a merge of two paths': [[1, 2], [3], [3], [4], [3, -1]],
};

describe('structured control flow', () => {
  for (const [name, g] of Object.entries(GRAPHS)) {
    it(`${name}: the same nodes, in order, as the graph`, () => {
      for (let seed = 1; seed <= 12; seed++) {
        const decisions = decisionsFrom(seed * 7919, 64);
        expect(run(g, decisions), `seed ${seed}`).toEqual(walk(g, decisions));
      }
    });
  }

  for (const how of [{ flow: 'structure', multiway: 'table' }, { flow: 'dispatch', multiway: 'switch' }, { flow: 'dispatch', multiway: 'table' }] as const) {
    it(`every graph through ${how.flow === 'structure' ? 'structure()' : 'the dispatch loop'} with multi-way nodes as ${how.multiway === 'table' ? 'a br_table' : 'tests'}`, () => {
      for (const [name, g] of Object.entries(GRAPHS)) {
        for (let seed = 1; seed <= 12; seed++) {
          const decisions = decisionsFrom(seed * 7919, 64);
          expect(run(g, decisions, how), `${name}, seed ${seed}`).toEqual(walk(g, decisions));
        }
      }
    });
  }

  it('an irreducible graph (a loop entered at two places) is reported as such', () => {
    const mod = new WasmModule(1);
    try {
      const node = (...to: number[]): FlowNode => ({
        code: [],
        term: to.length === 1 ? { kind: 'goto', to: { node: to[0]! } } : { kind: 'if', cond: mod.k(1), then: { node: to[0]! }, else: { node: to[1]! } },
      });
      // 0 -> 1 or 2; 1 <-> 2: the loop {1, 2} has two entries.
      expect(reducible([node(1, 2), node(2), node(1)], 0)).toBe(false);
      // The same with the cycle closed back to the entry instead: one loop, entered at its header.
      expect(reducible([node(1, 2), node(3), node(3), node(0)], 0)).toBe(true);
    } finally {
      mod.dispose();
    }
  });

  it('natural loops: bodies by header, nested ones included; null when irreducible', () => {
    const succ = (g: Graph) => (n: number): number[] => g[n]!.filter((t) => t >= 0);
    const nested = GRAPHS['nested loops']!;
    const loops = naturalLoops([0, 1, 2, 3, 4], succ(nested), 0)!;
    expect([...loops.keys()].sort()).toEqual([1, 2]);
    expect([...loops.get(1)!].sort()).toEqual([1, 2, 3]);
    expect([...loops.get(2)!].sort()).toEqual([2]);
    expect(naturalLoops([0, 1, 2], succ([[1, 2], [2], [1]]), 0)).toBeNull();
  });
});
