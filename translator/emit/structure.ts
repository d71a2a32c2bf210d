/**
 * Structured control flow for a region's graph of nodes, without a label
 * variable in the loops: the dominator-tree translation of N. Ramsey,
 * "Beyond Relooper: recursive translation of unstructured control flow to
 * structured control flow" (ICFP 2022). A loop header becomes a `loop`, a
 * node with several forward predecessors (a merge node) gets a `block`
 * that ends just before its code, and a node with one predecessor is
 * placed where that predecessor branches to it. It needs a reducible
 * graph; `reducible()` says whether it is, and the region compiler falls
 * back to a dispatch loop (a label variable and a br_table) when it is not.
 *
 * Every path through a node's code ends in its terminator, whose targets
 * are nodes or the function's exits (a `br` out of the whole structure,
 * to code that follows it).
 */
import type { Expr, WasmModule } from './wasm.js';

/** The label of the structure's exit `k` (a block around the whole flow, its code after the block). */
export function exitLabel(k: number): string {
  return `exit${k}`;
}

/** Where a branch goes: a node, or one of the structure's exits by index. Each target is used once: its code is placed once. */
export type Target = { readonly node: number; readonly code?: readonly Expr[] } | { readonly exit: number; readonly code?: readonly Expr[] };

export type Terminator =
  | { readonly kind: 'goto'; readonly to: Target }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: Target; readonly else: Target }
  /** The first case whose condition holds, else the default. */
  | { readonly kind: 'switch'; readonly cases: ReadonlyArray<{ readonly cond: Expr; readonly to: Target }>; readonly default: Target }
  /** Case `index` (one br_table), else the default: for dense case numbers (a region's entries). */
  | { readonly kind: 'table'; readonly index: Expr; readonly cases: readonly Target[]; readonly default: Target };

export interface FlowNode {
  readonly code: readonly Expr[];
  readonly term: Terminator;
}

function targetsOf(t: Terminator): Target[] {
  if (t.kind === 'goto') return [t.to];
  if (t.kind === 'if') return [t.then, t.else];
  if (t.kind === 'table') return [...t.cases, t.default];
  return [...t.cases.map((c) => c.to), t.default];
}

/**
 * A br_table terminator as nested blocks: block $d { block $t(n-1) { ...
 * block $t0 { br_table $t0..$t(n-1) $d (index) } case 0 ... } case n-1 }
 * default. Each case's code leaves by a branch (`go` ends in one), so none
 * runs into the next.
 */
export function tableCode(w: WasmModule, prefix: string, index: Expr, cases: readonly Expr[][], dflt: readonly Expr[]): Expr[] {
  const labels = cases.map((_, k) => `${prefix}${k}`);
  let inner: Expr[] = [w.m.switch(labels, `${prefix}d`, index)];
  cases.forEach((code, k) => {
    inner = [w.named(labels[k]!, inner), ...code];
  });
  return [w.named(`${prefix}d`, inner), ...dflt];
}

/** Successor node indices of a node. */
function successors(n: FlowNode): number[] {
  const out: number[] = [];
  for (const t of targetsOf(n.term)) if ('node' in t) out.push(t.node);
  return out;
}

interface Analysis {
  /** Reverse postorder number of each reachable node (undefined: unreachable). */
  readonly rpo: Map<number, number>;
  readonly order: number[];
  readonly idom: Map<number, number>;
  readonly preds: Map<number, number[]>;
}

function analyse(succOf: (n: number) => readonly number[], root: number): Analysis {
  const post: number[] = [];
  const seen = new Set<number>([root]);
  const stack: Array<{ n: number; succ: readonly number[]; k: number }> = [{ n: root, succ: succOf(root), k: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.k < top.succ.length) {
      const s = top.succ[top.k++]!;
      if (!seen.has(s)) {
        seen.add(s);
        stack.push({ n: s, succ: succOf(s), k: 0 });
      }
    } else {
      post.push(top.n);
      stack.pop();
    }
  }
  const order = post.reverse();
  const rpo = new Map(order.map((n, k) => [n, k]));
  const preds = new Map<number, number[]>(order.map((n) => [n, []]));
  for (const n of order) for (const s of succOf(n)) preds.get(s)!.push(n);
  // Dominators: Cooper, Harvey and Kennedy's iterative algorithm over the reverse postorder.
  const idom = new Map<number, number>([[root, root]]);
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo.get(a)! > rpo.get(b)!) a = idom.get(a)!;
      while (rpo.get(b)! > rpo.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of order) {
      if (n === root) continue;
      let d: number | undefined;
      for (const p of preds.get(n)!) if (idom.has(p)) d = d === undefined ? p : intersect(p, d);
      if (d !== undefined && idom.get(n) !== d) {
        idom.set(n, d);
        changed = true;
      }
    }
  }
  return { rpo, order, idom, preds };
}

function dominates(a: number, b: number, idom: Map<number, number>, root: number): boolean {
  for (let x = b; ; x = idom.get(x)!) {
    if (x === a) return true;
    if (x === root) return false;
  }
}

/** Is every retreating edge a back edge to a dominator (a reducible graph)? */
export function reducible(nodes: readonly FlowNode[], root: number): boolean {
  const { rpo, order, idom } = analyse((n) => successors(nodes[n]!), root);
  for (const n of order) {
    for (const s of successors(nodes[n]!)) {
      if (rpo.get(s)! <= rpo.get(n)! && !dominates(s, n, idom, root)) return false;
    }
  }
  return true;
}

/**
 * The structured code of a reducible graph from `root`. `exits[k]` is the
 * code placed after the structure for exit k (it must leave the function).
 */
export function structure(w: WasmModule, nodes: readonly FlowNode[], root: number, exits: readonly Expr[][]): Expr {
  const { rpo, order, idom, preds } = analyse((n) => successors(nodes[n]!), root);
  const loopHeader = new Set<number>();
  const forwardPreds = new Map<number, number>();
  for (const n of order) {
    for (const p of preds.get(n)!) {
      if (rpo.get(p)! >= rpo.get(n)!) loopHeader.add(n);
      else forwardPreds.set(n, (forwardPreds.get(n) ?? 0) + 1);
    }
  }
  const merge = (n: number): boolean => (forwardPreds.get(n) ?? 0) >= 2;
  const children = new Map<number, number[]>(order.map((n) => [n, []]));
  for (const n of order) if (n !== root) children.get(idom.get(n)!)!.push(n);

  const branch = (from: number, t: Target): Expr[] => {
    const code = [...(t.code ?? [])];
    if ('exit' in t) return [...code, w.br(exitLabel(t.exit))];
    const to = t.node;
    if (rpo.get(to)! <= rpo.get(from)!) return [...code, w.br(`L${to}`)];
    if (merge(to)) return [...code, w.br(`B${to}`)];
    return [...code, ...tree(to)];
  };

  const terminator = (n: number): Expr[] => {
    const t = nodes[n]!.term;
    if (t.kind === 'goto') return branch(n, t.to);
    if (t.kind === 'if') return [w.if_(t.cond, w.block(branch(n, t.then)), w.block(branch(n, t.else)))];
    if (t.kind === 'table') return tableCode(w, `T${n}_`, t.index, t.cases.map((c) => branch(n, c)), branch(n, t.default));
    let out: Expr[] = branch(n, t.default);
    for (let k = t.cases.length - 1; k >= 0; k--) {
      const c = t.cases[k]!;
      out = [w.if_(c.cond, w.block(branch(n, c.to)), w.block(out))];
    }
    return out;
  };

  const within = (x: number, ys: number[]): Expr[] => {
    if (ys.length === 0) return [...nodes[x]!.code, ...terminator(x)];
    const [y, ...rest] = ys as [number, ...number[]];
    return [w.named(`B${y}`, within(x, rest)), ...tree(y)];
  };

  function tree(x: number): Expr[] {
    // Merge children, the one placed last (highest reverse postorder number) outermost.
    const ys = children.get(x)!.filter(merge).sort((a, b) => rpo.get(b)! - rpo.get(a)!);
    const body = within(x, ys);
    return loopHeader.has(x) ? [w.loop(`L${x}`, w.block(body))] : body;
  }

  let out: Expr = w.block([...tree(root), w.unreachable()]);
  exits.forEach((code, k) => {
    out = w.block([w.named(exitLabel(k), [out]), ...code]);
  });
  return out;
}

/**
 * Natural loops of a graph given by `succ` from `root`: for each loop
 * header (the target of a back edge), the nodes of its loop. Null when the
 * graph is not reducible.
 */
export function naturalLoops(nodes: readonly number[], succ: (n: number) => readonly number[], root: number): Map<number, Set<number>> | null {
  const index = new Map(nodes.map((n, k) => [n, k]));
  const succOf = (k: number): number[] => succ(nodes[k]!).filter((t) => index.has(t)).map((t) => index.get(t)!);
  const r = index.get(root)!;
  const { rpo, order, idom, preds } = analyse(succOf, r);
  const loops = new Map<number, Set<number>>();
  for (const n of order) {
    for (const s of succOf(n)) {
      if (rpo.get(s)! > rpo.get(n)!) continue;
      if (!dominates(s, n, idom, r)) return null;
      // The loop of back edge n -> s: s and everything that reaches n without passing s.
      const body = loops.get(nodes[s]!) ?? new Set<number>([nodes[s]!]);
      const work = [n];
      while (work.length) {
        const x = work.pop()!;
        if (body.has(nodes[x]!)) continue;
        body.add(nodes[x]!);
        for (const p of preds.get(x)!) work.push(p);
      }
      loops.set(nodes[s]!, body);
    }
  }
  return loops;
}
