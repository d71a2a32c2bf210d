/**
 * Local coalescing in the baseline encoder (ExprBuilder.coalesceLocals):
 * functions written with shared slots compute what they compute with a
 * local each. Hand-made cases for each rule (a temporary's slot reused, a
 * local read before it is assigned keeps its zero, a value carried round a
 * loop, a value assigned on one arm of an if or before a branch), then
 * random structured functions run both ways on V8.
 */
import { describe, expect, it } from 'vitest';
import { WasmModule, type Expr } from '../../translator/emit/wasm.js';
import { Rng } from '../diff/generate.js';

/** The number of locals a one-function module declares (its code section's local groups). */
function declaredLocals(b: Uint8Array): number {
  let k = 8;
  const u32 = (): number => {
    let v = 0, shift = 0, x: number;
    do { x = b[k++]!; v += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80);
    return v;
  };
  while (k < b.length) {
    const id = b[k++]!;
    const size = u32();
    if (id !== 10) { k += size; continue; }
    u32(); // function count
    u32(); // body size
    let n = 0;
    for (let groups = u32(); groups > 0; groups--) { n += u32(); k++; }
    return n;
  }
  throw new Error('no code section');
}

type Build = (mod: WasmModule) => Expr;

/** Build `f(a, b)` with `build`, with and without coalescing: both functions and their declared locals. */
function both(build: Build): Array<{ f: (a: number, b: number) => number; locals: number }> {
  return [true, false].map((coalesce) => {
    const mod = new WasmModule(1, 'direct', coalesce);
    try {
      mod.beginFunction(2);
      mod.endFunction('f', build(mod), true);
      const bytes = mod.finish(0);
      const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1 }) } });
      return { f: inst.exports.f as (a: number, b: number) => number, locals: declaredLocals(bytes) };
    } finally {
      mod.dispose();
    }
  });
}

function expectSame(build: Build, args: Array<[number, number]>): { coalesced: number; separate: number } {
  const [c, s] = both(build);
  for (const [a, b] of args) expect(c!.f(a, b), `f(${a}, ${b})`).toBe(s!.f(a, b));
  return { coalesced: c!.locals, separate: s!.locals };
}

const ARGS: Array<[number, number]> = [[0, 0], [1, 2], [7, 3], [-5, 9], [100, 0], [3, 3]];

describe('local coalescing', () => {
  it('gives temporaries whose ranges do not meet one slot', () => {
    const n = expectSame((m) => {
      const acc = m.newLocal();
      const stmts: Expr[] = [m.set(acc, m.get(0))];
      for (let i = 0; i < 20; i++) {
        const t = m.newLocal();
        stmts.push(m.set(t, m.m.i32.mul(m.get(acc), m.k(i + 3))), m.set(acc, m.m.i32.add(m.get(t), m.get(1))));
      }
      return m.block([...stmts, m.get(acc)], true);
    }, ARGS);
    expect(n).toEqual({ coalesced: 2, separate: 21 });
  });

  it('keeps the zero of a local read before any assignment', () => {
    const n = expectSame((m) => {
      const t = m.newLocal(), u = m.newLocal();
      // t is dead after its use; u is first read unassigned (0) and must not take t's slot.
      return m.block([m.set(t, m.m.i32.add(m.get(0), m.k(5))), m.set(t, m.m.i32.mul(m.get(t), m.get(t))),
        m.m.i32.add(m.get(t) as Expr, m.get(u))], true);
    }, ARGS);
    expect(n.coalesced).toBe(2);
    // The same when the assignment is on one arm of an if only.
    expectSame((m) => {
      const t = m.newLocal(), u = m.newLocal();
      return m.block([m.set(t, m.m.i32.add(m.get(0), m.k(5))), m.drop(m.get(t)),
        m.ifHinted(m.get(1), m.set(u, m.k(9)), undefined, true), m.get(u)], true);
    }, ARGS);
    // ... or skipped by a branch out of a block.
    expectSame((m) => {
      const t = m.newLocal(), u = m.newLocal();
      return m.block([m.set(t, m.m.i32.sub(m.get(0), m.k(1))), m.drop(m.get(t)),
        m.named('skip', [m.br('skip', m.get(1)), m.set(u, m.k(4))]), m.get(u)], true);
    }, ARGS);
  });

  it('keeps values carried round a loop', () => {
    expectSame((m) => {
      const i = m.newLocal(), sum = m.newLocal(), carried = m.newLocal(), t = m.newLocal(), w = m.newLocal();
      return m.block([
        m.set(i, m.m.i32.and(m.get(0), m.k(7))),
        m.set(sum, m.k(1)),
        m.loop('top', m.block([
          // t is within the loop and assigned before read: it may share; carried is read before it is assigned.
          m.set(t, m.m.i32.mul(m.get(i), m.k(3))),
          m.set(sum, m.m.i32.add(m.m.i32.mul(m.get(sum), m.k(5)), m.m.i32.add(m.get(t), m.get(carried)))),
          m.set(carried, m.m.i32.add(m.get(t), m.get(1))),
          m.set(i, m.m.i32.sub(m.get(i), m.k(1))),
          m.br('top', m.m.i32.gt_s(m.get(i), m.k(0))),
        ])),
        m.set(w, m.m.i32.add(m.get(sum), m.k(1))),
        m.get(w),
      ], true);
    }, ARGS);
  });

  it('keeps a value assigned just before a loop and read early in it', () => {
    // k is set by the last statement before the loop and read first thing in it; the temporaries made
    // later in the body must not take its slot (the dispatcher's fetch mask is such a value).
    expectSame((m) => {
      const k = m.newLocal(), i = m.newLocal(), sum = m.newLocal();
      const body: Expr[] = [m.set(sum, m.m.i32.add(m.get(sum), m.get(k)))];
      for (let t = 0; t < 4; t++) {
        const l = m.newLocal();
        body.push(m.set(l, m.m.i32.mul(m.get(sum), m.k(t + 2))), m.set(sum, m.m.i32.xor(m.get(sum), m.get(l))));
      }
      return m.block([
        m.set(i, m.k(3)),
        m.set(k, m.m.i32.add(m.get(0), m.k(11))),
        m.loop('top', m.block([...body,
          m.set(i, m.m.i32.sub(m.get(i), m.k(1))),
          m.br('top', m.get(i)),
        ])),
        m.get(sum),
      ], true);
    }, ARGS);
  });

  it('agrees with a local each on random structured functions', () => {
    const rng = new Rng(2026);
    let coalesced = 0, separate = 0;
    for (let n = 0; n < 300; n++) {
      // The same function both ways: a generator of its own, seeded alike.
      const seed = rng.u32();
      const r = expectSame((m) => randomFunction(m, new Rng(seed)), ARGS);
      coalesced += r.coalesced;
      separate += r.separate;
    }
    // The test means something only if slots were shared.
    expect(coalesced).toBeLessThan(separate * 0.7);
  });
});

/**
 * A random function of its two parameters: statements that set fresh and
 * earlier locals, ifs, named blocks left early by br_if, and loops of a few
 * iterations; an accumulator mixes values in as it goes and is returned.
 */
function randomFunction(m: WasmModule, rng: Rng): Expr {
  const acc = m.newLocal();
  const locals: number[] = [];
  const labels: string[] = [];
  let names = 0;
  const pick = (n: number): number => rng.int(n);
  const expr = (depth: number): Expr => {
    const k = pick(depth > 2 ? 3 : 6);
    if (k === 0) return m.k(pick(2) ? pick(10) : rng.u32() | 0);
    if (k === 1) return m.get(pick(2));
    if (k === 2) return locals.length ? m.get(locals[pick(locals.length)]!) : m.get(acc);
    const a = expr(depth + 1), b = expr(depth + 1);
    return [m.m.i32.add, m.m.i32.xor, m.m.i32.mul][k - 3]!(a, b);
  };
  const mix = (): Expr => m.set(acc, m.m.i32.add(m.m.i32.mul(m.get(acc), m.k(31)), expr(0)));
  const stmts = (depth: number, count: number): Expr[] => {
    const out: Expr[] = [];
    for (let s = 0; s < count; s++) {
      const k = pick(depth > 2 ? 3 : 7);
      if (k === 0) {
        const l = m.newLocal();
        out.push(m.set(l, expr(0)));
        locals.push(l);
      } else if (k === 1 && locals.length) {
        out.push(m.set(locals[pick(locals.length)]!, expr(0)));
      } else if (k === 2) {
        out.push(mix());
      } else if (k === 3) {
        out.push(m.ifHinted(expr(1), m.block(stmts(depth + 1, 1 + pick(3))), pick(2) ? m.block(stmts(depth + 1, 1 + pick(3))) : undefined, pick(2) === 0));
      } else if (k === 4) {
        const name = `b${names++}`;
        labels.push(name);
        out.push(m.named(name, stmts(depth + 1, 1 + pick(4))));
        labels.pop();
      } else if (k === 5 && labels.length) {
        out.push(m.br(labels[pick(labels.length)]!, m.m.i32.and(expr(1), m.k(1))));
      } else {
        // A loop of 1-3 iterations with a counter of its own.
        const counter = m.newLocal();
        const name = `l${names++}`;
        out.push(m.set(counter, m.k(1 + pick(3))), m.loop(name, m.block([
          ...stmts(depth + 1, 1 + pick(4)),
          m.set(counter, m.m.i32.sub(m.get(counter), m.k(1))),
          m.br(name, m.get(counter)),
        ])));
      }
    }
    return out;
  };
  return m.block([...stmts(0, 6 + pick(10)), mix(), m.get(acc)], true);
}
