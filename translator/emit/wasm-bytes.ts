/**
 * The baseline encoder: the subset of binaryen.Module's expression API that
 * the emitter uses (wasm.ts hands it out as `WasmModule.m`), building a
 * plain JavaScript tree that is written straight to Wasm bytes. It does
 * no validation and no optimisation: at -O0 binaryen's own IR, validator
 * and binary writer cost most of a translation (a Linux boot compiles
 * about 4,000 regions; binaryen took 40% of the boot's host time, much of
 * it in Block::finalize walking nested named blocks), and V8 validates the
 * module anyway. binaryen stays the encoder of optimised tiers and of the
 * support module.
 *
 * Types follow binaryen's rules where they matter for the encoding: an
 * unnamed block with an unreachable child is unreachable, an `if`
 * has the least upper bound of its arms, a loop its body's type; a named
 * block has the type it was given (a branch may reach its end). A
 * structured instruction of unreachable type is written with an empty
 * block type and followed by `unreachable`, as binaryen does, so that what
 * follows it validates. Unnamed blocks in a sequence are flattened into
 * it (nothing can branch to them).
 */

export type Expr = number;

/** binaryen's type ids for the types the emitter uses (binaryen.none / i32 / i64 / unreachable / auto). */
export const enum Ty { None = 0, Unreachable = 1, I32 = 2, I64 = 3 }

const enum K {
  Const32, Const64, Unary, Binary, Load, Store, LocalGet, LocalSet, LocalTee, GlobalGet, GlobalSet,
  Block, Loop, If, Br, Switch, Select, Drop, Return, Nop, Unreachable, Call, MemCopy, MemFill, CallIndirect,
}

/** What a few kinds of expression hold besides their operands (the columns of ExprBuilder hold the rest). */
interface Side {
  /** Block, loop, branch and global names; a call's callee. */
  readonly name: string | null;
  /** Block children, call arguments. */
  readonly list: readonly Expr[] | null;
  /** br_table targets. */
  readonly names: readonly string[] | null;
  readonly big: bigint | null;
}

const NONE = 0;

/** Branch hints in the alignment column of a br_if or an if (ExprBuilder.hint). */
const HINT_UNLIKELY = 1;
const HINT_LIKELY = 2;

/** The custom section of branch hints (the branch hinting proposal's code metadata). */
export const BRANCH_HINT_SECTION = 'metadata.code.branch_hint';

/** Byte output with LEB128 helpers. */
export class ByteWriter {
  buf = new Uint8Array(4096);
  n = 0;
  private grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < this.n + need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  byte(b: number): void {
    if (this.n >= this.buf.length) this.grow(1);
    this.buf[this.n++] = b;
  }
  bytes(bs: ArrayLike<number>): void {
    if (this.n + bs.length > this.buf.length) this.grow(bs.length);
    this.buf.set(bs, this.n);
    this.n += bs.length;
  }
  u32(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v) b |= 0x80;
      this.byte(b);
    } while (v);
  }
  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }
  s64(v: bigint): void {
    v = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && !(b & 0x40)) || (v === -1n && b & 0x40)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }
  /** A name (import and export names are ASCII). */
  str(s: string): void {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) throw new Error(`non-ASCII name ${s}`);
      this.byte(c);
    }
  }
  /** A section: id, then the size of what `body` writes. */
  section(id: number, body: (w: ByteWriter) => void): void {
    const inner = scratchWriter();
    try {
      body(inner);
      this.sectionOf(id, inner);
    } finally {
      releaseWriter(inner);
    }
  }
  /** A section whose content `content` holds already: id, size, the bytes. */
  sectionOf(id: number, content: ByteWriter): void {
    this.byte(id);
    this.u32(content.n);
    this.bytes(content.buf.subarray(0, content.n));
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

/**
 * Writers for sections and function bodies, reused: each module made
 * about eight and zeroed 4 KiB for each (a sixtieth of a translation's
 * time, and garbage). What one holds is copied out before it goes back.
 */
const spareWriters: ByteWriter[] = [];

function scratchWriter(): ByteWriter {
  const w = spareWriters.pop() ?? new ByteWriter();
  w.n = 0;
  return w;
}

function releaseWriter(w: ByteWriter): void {
  spareWriters.push(w);
}

/** Wasm value type bytes. */
const VALTYPE: Record<number, number> = { [Ty.I32]: 0x7f, [Ty.I64]: 0x7e };

function blockType(ty: Ty): number {
  return ty === Ty.I32 ? 0x7f : ty === Ty.I64 ? 0x7e : 0x40;
}

function lub(a: Ty, b: Ty): Ty {
  if (a === Ty.Unreachable) return b;
  if (b === Ty.Unreachable) return a;
  return a === b ? a : Ty.None;
}

/** Opcodes of the numeric operators, by binaryen's name. */
const I32_BINARY: Record<string, number> = {
  eq: 0x46, ne: 0x47, lt_s: 0x48, lt_u: 0x49, gt_s: 0x4a, gt_u: 0x4b, le_s: 0x4c, le_u: 0x4d, ge_s: 0x4e, ge_u: 0x4f,
  add: 0x6a, sub: 0x6b, mul: 0x6c, div_s: 0x6d, div_u: 0x6e, rem_s: 0x6f, rem_u: 0x70, and: 0x71, or: 0x72, xor: 0x73,
  shl: 0x74, shr_s: 0x75, shr_u: 0x76, rotl: 0x77, rotr: 0x78,
};
const I64_COMPARE: Record<string, number> = {
  eq: 0x51, ne: 0x52, lt_s: 0x53, lt_u: 0x54, gt_s: 0x55, gt_u: 0x56, le_s: 0x57, le_u: 0x58, ge_s: 0x59, ge_u: 0x5a,
};
const I64_BINARY: Record<string, number> = {
  add: 0x7c, sub: 0x7d, mul: 0x7e, div_s: 0x7f, div_u: 0x80, rem_s: 0x81, rem_u: 0x82, and: 0x83, or: 0x84, xor: 0x85,
  shl: 0x86, shr_s: 0x87, shr_u: 0x88, rotl: 0x89, rotr: 0x8a,
};

/** Memory access opcodes and natural sizes. */
const LOADS32: Record<string, [number, number]> = { load: [0x28, 4], load8_s: [0x2c, 1], load8_u: [0x2d, 1], load16_s: [0x2e, 2], load16_u: [0x2f, 2] };
const STORES32: Record<string, [number, number]> = { store: [0x36, 4], store8: [0x3a, 1], store16: [0x3b, 2] };

/**
 * Expression builder with binaryen.Module's signatures (types are
 * binaryen's type ids, mapped with `tyOf`). Expressions are indices into
 * its columns, starting at 1 (binaryen's references are never 0).
 */
export class ExprBuilder {
  /**
   * The expressions, one column per field (typed arrays: a region makes
   * thousands of expressions, and objects would be garbage to collect):
   * kind, result type, opcode (or local index, immediate, or for a named
   * block 1 when a branch targets it), operands, memory offset and
   * alignment exponent.
   */
  private size = 1;
  private kind = new Uint8Array(4096);
  private type = new Uint8Array(4096);
  private opc = new Int32Array(4096);
  private ea = new Int32Array(4096);
  private eb = new Int32Array(4096);
  private ec = new Int32Array(4096);
  private offset = new Uint32Array(4096);
  private align = new Uint8Array(4096);
  /** 1 where the expression is or holds a call_indirect (indirectSignatures walks only those). */
  private indirect = new Uint8Array(4096);
  private side: Array<Side | null> = [null];
  readonly i32: Record<string, (...args: never[]) => Expr>;
  readonly i64: Record<string, (...args: never[]) => Expr>;
  readonly local: { get(i: number, t: number): Expr; set(i: number, v: Expr): Expr; tee(i: number, v: Expr, t: number): Expr };
  readonly global: { get(name: string, t: number): Expr; set(name: string, v: Expr): Expr };
  readonly memory: { copy(d: Expr, s: Expr, n: Expr): Expr; fill(d: Expr, v: Expr, n: Expr): Expr };

  /** binaryen's numeric type ids to ours. */
  constructor(private readonly tyOf: (binaryenType: number) => Ty) {
    const i32: Record<string, (...args: never[]) => Expr> = {
      const: ((v: number) => this.node(K.Const32, Ty.I32, v | 0)) as never,
      eqz: ((a: Expr) => this.node(K.Unary, Ty.I32, 0x45, a)) as never,
      clz: ((a: Expr) => this.node(K.Unary, Ty.I32, 0x67, a)) as never,
      ctz: ((a: Expr) => this.node(K.Unary, Ty.I32, 0x68, a)) as never,
      popcnt: ((a: Expr) => this.node(K.Unary, Ty.I32, 0x69, a)) as never,
      wrap: ((a: Expr) => this.node(K.Unary, Ty.I32, 0xa7, a)) as never,
    };
    for (const [name, op] of Object.entries(I32_BINARY)) i32[name] = ((a: Expr, b: Expr) => this.node(K.Binary, Ty.I32, op, a, b)) as never;
    for (const [name, [op, size]] of Object.entries(LOADS32)) {
      i32[name] = ((offset: number, align: number, ptr: Expr) => this.mem(K.Load, Ty.I32, op, size, offset, align, ptr, NONE)) as never;
    }
    for (const [name, [op, size]] of Object.entries(STORES32)) {
      i32[name] = ((offset: number, align: number, ptr: Expr, v: Expr) => this.mem(K.Store, Ty.None, op, size, offset, align, ptr, v)) as never;
    }
    const i64: Record<string, (...args: never[]) => Expr> = {
      const: ((v: bigint | number) => this.node(K.Const64, Ty.I64, 0, NONE, NONE, NONE, 0, 0, null, null, null, BigInt(v))) as never,
      eqz: ((a: Expr) => this.node(K.Unary, Ty.I32, 0x50, a)) as never,
      extend_s: ((a: Expr) => this.node(K.Unary, Ty.I64, 0xac, a)) as never,
      extend_u: ((a: Expr) => this.node(K.Unary, Ty.I64, 0xad, a)) as never,
    };
    for (const [name, op] of Object.entries(I64_COMPARE)) i64[name] = ((a: Expr, b: Expr) => this.node(K.Binary, Ty.I32, op, a, b)) as never;
    for (const [name, op] of Object.entries(I64_BINARY)) i64[name] = ((a: Expr, b: Expr) => this.node(K.Binary, Ty.I64, op, a, b)) as never;
    this.i32 = i32;
    this.i64 = i64;
    this.local = {
      get: (i, t) => this.node(K.LocalGet, this.tyOf(t), i),
      set: (i, v) => this.node(K.LocalSet, Ty.None, i, v),
      tee: (i, v, t) => this.node(K.LocalTee, this.tyOf(t), i, v),
    };
    this.global = {
      get: (name, t) => this.node(K.GlobalGet, this.tyOf(t), 0, NONE, NONE, NONE, 0, 0, name),
      set: (name, v) => this.node(K.GlobalSet, Ty.None, 0, v, NONE, NONE, 0, 0, name),
    };
    this.memory = {
      copy: (d, s, n) => this.node(K.MemCopy, Ty.None, 0, d, s, n),
      fill: (d, v, n) => this.node(K.MemFill, Ty.None, 0, d, v, n),
    };
  }

  /** Forget every expression. */
  reset(): void {
    this.size = 1;
    // The side column keeps its length (overwritten from index 1 on): shortening it let V8 trim its
    // store, which every module then grew again.
    this.pending.clear();
  }

  private grow(): void {
    const n = this.kind.length * 2;
    const more = <T extends Uint8Array | Int32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.kind = more(this.kind, (k) => new Uint8Array(k));
    this.type = more(this.type, (k) => new Uint8Array(k));
    this.opc = more(this.opc, (k) => new Int32Array(k));
    this.ea = more(this.ea, (k) => new Int32Array(k));
    this.eb = more(this.eb, (k) => new Int32Array(k));
    this.ec = more(this.ec, (k) => new Int32Array(k));
    this.offset = more(this.offset, (k) => new Uint32Array(k));
    this.align = more(this.align, (k) => new Uint8Array(k));
    this.indirect = more(this.indirect, (k) => new Uint8Array(k));
  }

  private node(k: K, ty: Ty, op: number, a: Expr = NONE, b: Expr = NONE, c: Expr = NONE, off = 0, op2 = 0,
    name: string | null = null, list: readonly Expr[] | null = null, names: readonly string[] | null = null, big: bigint | null = null): Expr {
    const e = this.size++;
    if (e === this.kind.length) this.grow();
    this.kind[e] = k;
    this.type[e] = ty;
    this.opc[e] = op;
    this.ea[e] = a;
    this.eb[e] = b;
    this.ec[e] = c;
    this.offset[e] = off;
    this.align[e] = op2;
    const ind = this.indirect;
    let has = k === K.CallIndirect || ind[a]! | ind[b]! | ind[c]!;
    if (!has && list !== null) for (const x of list) if (ind[x]) { has = 1; break; }
    ind[e] = has ? 1 : 0;
    // (Not `big !== 0n` with a 0n default: a BigInt comparison for every node.)
    this.side[e] = name !== null || list !== null || names !== null || big !== null ? { name, list, names, big } : null;
    return e;
  }

  private mem(k: K, ty: Ty, op: number, size: number, offset: number, align: number, ptr: Expr, v: Expr): Expr {
    return this.node(k, ty, op, ptr, v, NONE, offset >>> 0, 31 - Math.clz32(align || size));
  }

  private tyOfExpr(e: Expr): Ty {
    return this.type[e]!;
  }

  /**
   * A block; `op` of a named one is 1 when a branch inside targets it.
   * Branches are counted by name as they are made, and a block takes the
   * count of its name (the emitter makes a block's branches before the
   * block and names blocks uniquely); with none counted, the contents are
   * searched, so that no branch is missed.
   */
  block(name: string | null, children: Expr[], type?: number): Expr {
    let ty = type === undefined ? Ty.None : this.tyOf(type);
    name ||= null;
    let branched = 0;
    if (name !== null) {
      if (this.pending.get(name)) {
        branched = 1;
        this.pending.delete(name);
      } else if (children.some((c) => this.branchesTo(c, name!))) {
        branched = 1;
      }
    }
    if (ty === Ty.None && !branched) for (const c of children) if (this.type[c] === Ty.Unreachable) { ty = Ty.Unreachable; break; }
    return this.node(K.Block, ty, branched, NONE, NONE, NONE, 0, 0, name, children.slice());
  }

  /** Branches made and not yet taken by a block of their name. */
  private readonly pending = new Map<string, number>();

  private noteBranch(name: string): void {
    this.pending.set(name, (this.pending.get(name) ?? 0) + 1);
  }

  /** Does `e` hold a branch to `name` (not shadowed by an inner block or loop of that name)? */
  private branchesTo(e: Expr, name: string): boolean {
    const k = this.kind[e]!;
    const side = this.side[e];
    const a = this.ea[e]!;
    if (k === K.Br) return side!.name === name || (a !== NONE && this.branchesTo(a, name));
    if (k === K.Switch) return side!.name === name || side!.names!.includes(name) || this.branchesTo(a, name);
    if ((k === K.Block || k === K.Loop) && side!.name === name) return false;
    if (a !== NONE && this.branchesTo(a, name)) return true;
    if (this.eb[e] !== NONE && this.branchesTo(this.eb[e]!, name)) return true;
    if (this.ec[e] !== NONE && this.branchesTo(this.ec[e]!, name)) return true;
    if (side?.list) for (const c of side.list) if (this.branchesTo(c, name)) return true;
    return false;
  }
  loop(name: string, body: Expr): Expr {
    return this.node(K.Loop, this.tyOfExpr(body), 0, body, NONE, NONE, 0, 0, name);
  }
  if(cond: Expr, then: Expr, otherwise?: Expr): Expr {
    const ty = otherwise ? lub(this.tyOfExpr(then), this.tyOfExpr(otherwise)) : Ty.None;
    return this.node(K.If, ty, 0, cond, then, otherwise ?? NONE);
  }
  /**
   * Hint a conditional branch (a br_if or an if) as likely or unlikely to
   * be taken: written to the module's branch hint section (ByteModule.emit).
   * Kept in the alignment column, which branches do not use otherwise.
   */
  hint(e: Expr, likely: boolean): void {
    const k = this.kind[e] as K;
    if (k !== K.If && !(k === K.Br && this.ea[e] !== NONE)) throw new Error('only a br_if or an if takes a branch hint');
    this.align[e] = likely ? HINT_LIKELY : HINT_UNLIKELY;
  }

  br(name: string, cond?: Expr, value?: Expr): Expr {
    if (value) throw new Error('the baseline encoder writes no branch values');
    this.noteBranch(name);
    return this.node(K.Br, cond ? Ty.None : Ty.Unreachable, 0, cond ?? NONE, NONE, NONE, 0, 0, name);
  }
  switch(names: string[], dflt: string, cond: Expr, value?: Expr): Expr {
    if (value) throw new Error('the baseline encoder writes no branch values');
    for (const t of new Set([...names, dflt])) this.noteBranch(t);
    return this.node(K.Switch, Ty.Unreachable, 0, cond, NONE, NONE, 0, 0, dflt, null, names.slice());
  }
  select(cond: Expr, ifTrue: Expr, ifFalse: Expr): Expr {
    return this.node(K.Select, lub(this.tyOfExpr(ifTrue), this.tyOfExpr(ifFalse)), 0, ifTrue, ifFalse, cond);
  }
  drop(v: Expr): Expr { return this.node(K.Drop, Ty.None, 0, v); }
  return(v?: Expr): Expr { return this.node(K.Return, Ty.Unreachable, 0, v ?? NONE); }
  nop(): Expr { return this.node(K.Nop, Ty.None, 0); }
  unreachable(): Expr { return this.node(K.Unreachable, Ty.Unreachable, 0); }
  call(name: string, args: Expr[], type: number): Expr {
    return this.node(K.Call, this.tyOf(type), 0, NONE, NONE, NONE, 0, 0, name, args.slice());
  }
  /** call_indirect through table 0 of a function taking `args.length` i32s and returning `result`. */
  callIndirect(target: Expr, args: Expr[], result: Ty): Expr {
    return this.node(K.CallIndirect, result, args.length, target, NONE, NONE, 0, 0, null, args.slice());
  }

  /**
   * The signatures of the call_indirects in `e`, in the order binaryen
   * notes them (its type section's order breaks ties of use counts by
   * first use): operands before the instruction, every expression
   * (binaryen counts what its writer leaves out after an unreachable one).
   */
  indirectSignatures(e: Expr, note: (params: number, result: Ty) => void): void {
    if (!this.indirect[e]) return;
    const k = this.kind[e]! as K;
    const side = this.side[e];
    if (k === K.CallIndirect) {
      for (const c of side!.list!) this.indirectSignatures(c, note);
      this.indirectSignatures(this.ea[e]!, note);
      note(this.opc[e]!, this.type[e]! as Ty);
      return;
    }
    if (this.ea[e] !== NONE) this.indirectSignatures(this.ea[e]!, note);
    if (this.eb[e] !== NONE) this.indirectSignatures(this.eb[e]!, note);
    if (this.ec[e] !== NONE) this.indirectSignatures(this.ec[e]!, note);
    if (side?.list) for (const c of side.list) this.indirectSignatures(c, note);
  }

  /**
   * Local coalescing: which of a function's own locals can share a slot.
   * The emitter gives every temporary a fresh local (a region of a few
   * hundred instructions has hundreds), and V8's baseline compiler pays
   * for each local at every merge of control flow (Liftoff spills and
   * merges its whole state there): a boot profile had an eighth of the
   * main thread in lazy Liftoff compilation, most of it in those merges.
   *
   * One walk in evaluation order numbers the expressions; outside loops,
   * every run of the function visits them in increasing order (branches
   * go forward to a block's end), so a local is live at most from its
   * first to its last occurrence. A local that may be read before it is
   * assigned (a definite-assignment analysis over the same walk: branch
   * states meet at their block's end, a loop is entered with its entry
   * state) relies on Wasm's zero initialisation and keeps a slot from the
   * function's start. A local whose range crosses a loop's bounds is
   * live across its back edge: its range grows to the whole loop. A local
   * within a loop and always assigned before read there needs no more.
   * Intervals then take slots of their type in order of start (a linear
   * scan), a slot free once its last interval has ended.
   *
   * Returns each own local's slot (-1 for one nothing uses) and the slots'
   * types.
   */
  coalesceLocals(body: Expr, params: number, locals: readonly Ty[]): { slot: Int32Array; types: Ty[] } {
    const { kind, opc, ea, eb, ec, side } = this;
    const n = locals.length;
    const words = (n + 31) >>> 5;
    const first = new Int32Array(n).fill(-1);
    const last = new Int32Array(n);
    const pinned = new Uint8Array(n);
    const loops: number[] = [];
    /** Locals definitely assigned here, a bit each; null where the code is unreachable. */
    let state: Uint32Array | null = new Uint32Array(words);
    /** The meet of two states (`a` is updated and returned when both are reachable). */
    const meet = (a: Uint32Array | null, b: Uint32Array | null): Uint32Array | null => {
      if (a === null) return b;
      if (b !== null) for (let w = 0; w < words; w++) a[w]! &= b[w]!;
      return a;
    };
    /** Enclosing blocks and loops; a block's `acc` is the meet of the states of the branches to it. */
    const labels: Array<{ name: string | null; loop: boolean; acc: Uint32Array | null }> = [];
    const branchTo = (name: string): void => {
      for (let i = labels.length - 1; i >= 0; i--) {
        const l = labels[i]!;
        if (l.name !== name) continue;
        // A branch to a loop goes to its header, which keeps its entry state (conservative).
        if (!l.loop && state !== null) l.acc = l.acc === null ? state.slice() : meet(l.acc, state);
        return;
      }
      throw new Error(`branch to unknown label ${name}`);
    };
    let pos = 0;
    const touch = (local: number, read: boolean): void => {
      const i = local - params;
      if (i < 0) return;
      if (first[i]! < 0) first[i] = pos;
      last[i] = pos;
      if (state === null) return;
      const bit = 1 << (i & 31);
      if (read) { if (!(state[i >>> 5]! & bit)) pinned[i] = 1; } else state[i >>> 5]! |= bit;
    };
    const walk = (e: Expr): void => {
      switch (kind[e] as K) {
        case K.Const32: case K.Const64: case K.GlobalGet: case K.Nop: pos++; return;
        case K.LocalGet: pos++; touch(opc[e]!, true); return;
        case K.LocalSet: case K.LocalTee: walk(ea[e]!); pos++; touch(opc[e]!, false); return;
        case K.Block: {
          const x = side[e]!;
          const label = { name: x.name, loop: false, acc: null as Uint32Array | null };
          labels.push(label);
          for (const ch of x.list!) walk(ch);
          labels.pop();
          state = meet(state, label.acc);
          pos++;
          return;
        }
        case K.Loop: {
          // The loop's bounds are positions of their own: what comes before or after is outside.
          const start = ++pos;
          labels.push({ name: side[e]!.name, loop: true, acc: null });
          walk(ea[e]!);
          labels.pop();
          pos++;
          loops.push(start, pos);
          return;
        }
        case K.If: {
          walk(ea[e]!);
          const entry = state === null ? null : state.slice();
          walk(eb[e]!);
          const then = state;
          state = entry;
          if (ec[e] !== NONE) walk(ec[e]!);
          state = meet(then, state);
          pos++;
          return;
        }
        case K.Br:
          if (ea[e] !== NONE) walk(ea[e]!);
          pos++;
          branchTo(side[e]!.name!);
          if (ea[e] === NONE) state = null;
          return;
        case K.Switch:
          walk(ea[e]!);
          pos++;
          for (const name of side[e]!.names!) branchTo(name);
          branchTo(side[e]!.name!);
          state = null;
          return;
        case K.Return: if (ea[e] !== NONE) walk(ea[e]!); pos++; state = null; return;
        case K.Unreachable: pos++; state = null; return;
        case K.Call: for (const ch of side[e]!.list!) walk(ch); pos++; return;
        case K.CallIndirect: for (const ch of side[e]!.list!) walk(ch); walk(ea[e]!); pos++; return;
        default: {
          // Operands fill the columns in order: none after the first absent one.
          const a = ea[e]!;
          if (a !== NONE) {
            walk(a);
            const b = eb[e]!;
            if (b !== NONE) {
              walk(b);
              if (ec[e] !== NONE) walk(ec[e]!);
            }
          }
          pos++;
          return;
        }
      }
    };
    walk(body);
    // Each used local's range, from its first occurrence (the function's start if it relies on its zero) to its last.
    const start = first, end = last;
    const used: number[] = [];
    for (let i = 0; i < n; i++) {
      if (first[i]! < 0) continue;
      if (pinned[i]) start[i] = 0;
      used.push(i);
    }
    // Ranges that cross a loop's bounds cover the loop. One pass does: loops are listed inner before
    // outer (in the order they end), so a range grown to an inner loop is then checked against the loops
    // around it, and one grown to an outer loop covers every loop inside it (siblings do not meet).
    for (let k = 0; k < loops.length; k += 2) {
      const ls = loops[k]!, le = loops[k + 1]!;
      for (const i of used) {
        const s = start[i]!, e = end[i]!;
        // Meets the loop, is not within it, and does not cover it yet.
        if (s <= le && e >= ls && (s < ls || e > le) && (s > ls || e < le)) {
          start[i] = Math.min(s, ls);
          end[i] = Math.max(e, le);
        }
      }
    }
    used.sort((p, q) => start[p]! - start[q]! || p - q);
    const slot = new Int32Array(n).fill(-1);
    const types: Ty[] = [];
    const slotEnd: number[] = [];
    for (const i of used) {
      const ty = locals[i]!;
      let s = 0;
      while (s < types.length && (types[s] !== ty || slotEnd[s]! >= start[i]!)) s++;
      if (s === types.length) { types.push(ty); slotEnd.push(0); }
      slot[i] = s;
      slotEnd[s] = end[i]!;
    }
    return { slot, types };
  }

  /**
   * Write one function body's expression; `funcIndex` and `globalIndex`
   * resolve names, `localIndex`
   * maps the function's local indices to the binary's.
   *
   * The layout is binaryen's (BinaryenIRWriter), so that at -O0 both
   * encoders write the same bytes: the contents of a block that nothing
   * branches to stand for it as an `if` arm, a loop body and a
   * function body; code after an unreachable child is not written; a
   * structured instruction of unreachable type is followed by `unreachable`.
   */
  writeBody(out: ByteWriter, body: Expr, funcIndex: (name: string) => number, globalIndex: (name: string) => number,
    localIndex: readonly number[], typeIndex: (params: number, result: Ty) => number, hints: number[]): void {
    const { kind, type, opc, ea, eb, ec, side, align } = this;
    /** A hinted branch's offset in the body (which `out` holds from its start) and the hint's byte. */
    const hinted = (e: Expr): void => {
      const h = align[e]!;
      if (h !== 0) hints.push(out.n, h === HINT_LIKELY ? 1 : 0);
    };
    const labels: Array<string | null> = [];
    const depth = (name: string): number => {
      for (let i = labels.length - 1; i >= 0; i--) if (labels[i] === name) return labels.length - 1 - i;
      throw new Error(`branch to unknown label ${name}`);
    };
    /** Children in order, stopping after an unreachable one; true if all were written. */
    const children = (list: readonly Expr[]): boolean => {
      for (const c of list) {
        write(c);
        if (type[c] === Ty.Unreachable) return false;
      }
      return true;
    };
    /** Operands of an instruction: the instruction itself is not written after an unreachable one. */
    const operands = (a: Expr, b: Expr = NONE, c: Expr = NONE): boolean => {
      write(a);
      if (type[a] === Ty.Unreachable) return false;
      if (b === NONE) return true;
      write(b);
      if (type[b] === Ty.Unreachable) return false;
      if (c === NONE) return true;
      write(c);
      return type[c] !== Ty.Unreachable;
    };
    /** An arm, a loop body, a function body: a block nothing branches to stands for its contents. */
    const contents = (e: Expr): void => {
      if (kind[e] === K.Block && !opc[e]) children(side[e]!.list!);
      else write(e);
    };
    const open = (opcode: number, e: Expr, label: string | null): void => {
      out.byte(opcode);
      out.byte(blockType(type[e]!));
      labels.push(label);
    };
    const close = (e: Expr): void => {
      labels.pop();
      out.byte(0x0b);
      if (type[e] === Ty.Unreachable) out.byte(0x00);
    };
    const memarg = (e: Expr): void => {
      out.byte(opc[e]!);
      out.u32(this.align[e]!);
      out.u32(this.offset[e]!);
    };
    const write = (e: Expr): void => {
      const op = opc[e]!;
      const a = ea[e]!;
      const b = eb[e]!;
      const c = ec[e]!;
      const x = side[e];
      switch (kind[e] as K) {
        case K.Const32: out.byte(0x41); out.s32(op); return;
        case K.Const64: out.byte(0x42); out.s64(x?.big ?? 0n); return;
        case K.Unary: if (operands(a)) out.byte(op); return;
        case K.Binary: if (operands(a, b)) out.byte(op); return;
        case K.Load: if (operands(a)) memarg(e); return;
        case K.Store: if (operands(a, b)) memarg(e); return;
        case K.LocalGet: out.byte(0x20); out.u32(localIndex[op]!); return;
        case K.LocalSet: if (operands(a)) { out.byte(0x21); out.u32(localIndex[op]!); } return;
        case K.LocalTee: if (operands(a)) { out.byte(0x22); out.u32(localIndex[op]!); } return;
        case K.GlobalGet: out.byte(0x23); out.u32(globalIndex(x!.name!)); return;
        case K.GlobalSet: if (operands(a)) { out.byte(0x24); out.u32(globalIndex(x!.name!)); } return;
        case K.Block:
          if (x!.name === null) {
            // Nothing can branch to an unnamed block: its contents stand for it.
            children(x!.list!);
            return;
          }
          open(0x02, e, x!.name);
          children(x!.list!);
          close(e);
          return;
        case K.Loop:
          open(0x03, e, x!.name);
          contents(a);
          close(e);
          return;
        case K.If:
          if (!operands(a)) return;
          hinted(e);
          open(0x04, e, null);
          contents(b);
          if (c !== NONE) {
            out.byte(0x05);
            contents(c);
          }
          close(e);
          return;
        case K.Br:
          if (a === NONE) out.byte(0x0c);
          else if (operands(a)) { hinted(e); out.byte(0x0d); } else return;
          out.u32(depth(x!.name!));
          return;
        case K.Switch:
          if (!operands(a)) return;
          out.byte(0x0e);
          out.u32(x!.names!.length);
          for (const name of x!.names!) out.u32(depth(name));
          out.u32(depth(x!.name!));
          return;
        case K.Select: if (operands(a, b, c)) out.byte(0x1b); return;
        case K.Drop: if (operands(a)) out.byte(0x1a); return;
        case K.Return: if (a === NONE || operands(a)) out.byte(0x0f); return;
        case K.Nop: out.byte(0x01); return;
        case K.Unreachable: out.byte(0x00); return;
        case K.Call: if (children(x!.list!)) { out.byte(0x10); out.u32(funcIndex(x!.name!)); } return;
        case K.CallIndirect: if (children(x!.list!) && operands(a)) { out.byte(0x11); out.u32(typeIndex(op, type[e]! as Ty)); out.byte(0); } return;
        case K.MemCopy: if (operands(a, b, c)) { out.byte(0xfc); out.u32(10); out.byte(0); out.byte(0); } return;
        case K.MemFill: if (operands(a, b, c)) { out.byte(0xfc); out.u32(11); out.byte(0); } return;
      }
    };
    contents(body);
    out.byte(0x0b);
  }
}

/** The signature keys of ByteModule.emit for call_indirects of i32 parameters, by params * 4 + result. */
const INDIRECT_SIGS: string[] = [];

/** Expression builders of disposed modules (making one costs its operator tables). */
const builders: ExprBuilder[] = [];

interface FuncImport { readonly name: string; readonly module: string; readonly base: string; readonly params: readonly Ty[]; readonly result: Ty }
interface Func { readonly name: string; readonly params: readonly Ty[]; readonly result: Ty; readonly locals: readonly Ty[]; readonly body: Expr }

/**
 * A module written directly as bytes: one imported memory, an imported
 * function table (for call_indirect), imported and defined functions,
 * mutable i32 globals, function and global exports.
 */
export class ByteModule {
  readonly e: ExprBuilder;
  private readonly imports: FuncImport[] = [];
  private readonly funcs: Func[] = [];
  private readonly globals: Array<{ name: string; init: number }> = [];
  private readonly exports: Array<{ name: string; kind: 0 | 3; target: string }> = [];
  private memory: { module: string; base: string; initial: number; maximum: number } | null = null;
  private table: { module: string; base: string; initial: number } | null = null;

  /**
   * `coalesce`: functions share slots among their locals (ExprBuilder.
   * coalesceLocals); without it, every local is declared as made, as
   * binaryen writes a module at -O0.
   */
  constructor(tyOf: (binaryenType: number) => Ty, private readonly coalesce = true) {
    this.e = builders.pop() ?? new ExprBuilder(tyOf);
  }

  /** Give the expression builder back for the next module (its expressions are dropped). */
  dispose(): void {
    this.e.reset();
    builders.push(this.e);
  }

  importMemory(module: string, base: string, initial: number, maximum: number): void {
    this.memory = { module, base, initial, maximum };
  }
  /** A funcref table of at least `initial` elements, with no maximum (binaryen's layout: after the memory). */
  importTable(module: string, base: string, initial: number): void {
    this.table = { module, base, initial };
  }
  importFunction(name: string, module: string, base: string, params: readonly Ty[], result: Ty): void {
    this.imports.push({ name, module, base, params, result });
  }
  addFunction(name: string, params: readonly Ty[], result: Ty, locals: readonly Ty[], body: Expr): void {
    this.funcs.push({ name, params, result, locals, body });
  }
  addGlobal(name: string, init: number): void {
    this.globals.push({ name, init });
  }
  exportFunction(name: string, as: string): void {
    this.exports.push({ name: as, kind: 0, target: name });
  }
  exportGlobal(name: string, as: string): void {
    this.exports.push({ name: as, kind: 3, target: name });
  }

  emit(): Uint8Array {
    // Signatures, most used first (binaryen's order; first use breaks ties).
    // Each function's signature, then those of its body's call_indirects (binaryen's order of notes).
    const sigOf = (f: { params: readonly Ty[]; result: Ty }): string => `${f.params.join(',')}:${f.result}`;
    const indirectSig = (params: number, result: Ty): string => (INDIRECT_SIGS[params * 4 + result] ??= `${new Array<Ty>(params).fill(Ty.I32).join(',')}:${result}`);
    const uses = new Map<string, number>();
    const note = (sig: string): void => { uses.set(sig, (uses.get(sig) ?? 0) + 1); };
    for (const f of this.imports) note(sigOf(f));
    for (const f of this.funcs) {
      note(sigOf(f));
      this.e.indirectSignatures(f.body, (params, result) => note(indirectSig(params, result)));
    }
    const types = [...uses.keys()].sort((x, y) => uses.get(y)! - uses.get(x)!);
    const typeIndices = new Map(types.map((t, k) => [t, k]));
    const typeIndex = (f: { params: readonly Ty[]; result: Ty }): number => typeIndices.get(sigOf(f))!;
    const indirectIndex = (params: number, result: Ty): number => typeIndices.get(indirectSig(params, result))!;
    const importTypes = this.imports.map(typeIndex);
    const funcTypes = this.funcs.map(typeIndex);
    const funcIndices = new Map<string, number>();
    this.imports.forEach((f, k) => funcIndices.set(f.name, k));
    this.funcs.forEach((f, k) => funcIndices.set(f.name, this.imports.length + k));
    const globalIndices = new Map(this.globals.map((g, k) => [g.name, k]));
    const funcIndex = (name: string): number => {
      const k = funcIndices.get(name);
      if (k === undefined) throw new Error(`call of unknown function ${name}`);
      return k;
    };
    const globalIndex = (name: string): number => {
      const k = globalIndices.get(name);
      if (k === undefined) throw new Error(`unknown global ${name}`);
      return k;
    };

    const out = scratchWriter();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    out.section(1, (w) => {
      w.u32(types.length);
      for (const key of types) {
        const [p, r] = key.split(':');
        const params = p ? p.split(',').map(Number) : [];
        w.byte(0x60);
        w.u32(params.length);
        for (const t of params) w.byte(VALTYPE[t]!);
        const result = Number(r) as Ty;
        if (result === Ty.None) w.u32(0);
        else { w.u32(1); w.byte(VALTYPE[result]!); }
      }
    });
    out.section(2, (w) => {
      w.u32(this.imports.length + (this.memory ? 1 : 0) + (this.table ? 1 : 0));
      if (this.memory) {
        w.str(this.memory.module);
        w.str(this.memory.base);
        w.byte(0x02);
        w.byte(0x01);
        w.u32(this.memory.initial);
        w.u32(this.memory.maximum);
      }
      if (this.table) {
        w.str(this.table.module);
        w.str(this.table.base);
        w.byte(0x01);
        w.byte(0x70);
        w.byte(0x00);
        w.u32(this.table.initial);
      }
      this.imports.forEach((f, k) => {
        w.str(f.module);
        w.str(f.base);
        w.byte(0x00);
        w.u32(importTypes[k]!);
      });
    });
    out.section(3, (w) => {
      w.u32(funcTypes.length);
      for (const t of funcTypes) w.u32(t);
    });
    if (this.globals.length) {
      out.section(6, (w) => {
        w.u32(this.globals.length);
        for (const g of this.globals) {
          w.byte(0x7f);
          w.byte(0x01);
          w.byte(0x41);
          w.s32(g.init);
          w.byte(0x0b);
        }
      });
    }
    out.section(7, (w) => {
      w.u32(this.exports.length);
      for (const x of this.exports) {
        w.str(x.name);
        w.byte(x.kind);
        w.u32(x.kind === 0 ? funcIndex(x.target) : globalIndex(x.target));
      }
    });
    // The code section's content is written first, for the offsets of its hinted branches, which the
    // branch hint section before it holds (the branch hinting proposal: engines read hints before the
    // code); the content then goes into the module once, after that section.
    const hints: number[][] = [];
    const code = scratchWriter();
    {
      const w = code;
      w.u32(this.funcs.length);
      const body = scratchWriter();
      for (const f of this.funcs) {
        body.n = 0;
        // Locals grouped by type, the types in order of first use (binaryen's layout): the binary's
        // local indices are the parameters', then each group's in turn.
        // With coalescing, the declared locals are the slots, and each local is written as its slot's.
        const shared = this.coalesce ? this.e.coalesceLocals(f.body, f.params.length, f.locals) : null;
        const declared = shared ? shared.types : f.locals;
        const order: Ty[] = [];
        const count = new Map<Ty, number>();
        for (const t of declared) {
          if (!count.has(t)) order.push(t);
          count.set(t, (count.get(t) ?? 0) + 1);
        }
        const next = new Map<Ty, number>();
        let base = f.params.length;
        for (const t of order) { next.set(t, base); base += count.get(t)!; }
        const declaredIndex = f.params.map((_, k) => k);
        for (const t of declared) { declaredIndex.push(next.get(t)!); next.set(t, next.get(t)! + 1); }
        let localIndex = declaredIndex;
        if (shared) {
          const params = f.params.length;
          localIndex = declaredIndex.slice(0, params);
          // A local nothing uses is never written: any index does.
          for (let i = 0; i < f.locals.length; i++) localIndex.push(shared.slot[i]! < 0 ? 0 : declaredIndex[params + shared.slot[i]!]!);
        }
        body.u32(order.length);
        for (const t of order) {
          body.u32(count.get(t)!);
          body.byte(VALTYPE[t]!);
        }
        const fh: number[] = [];
        this.e.writeBody(body, f.body, funcIndex, globalIndex, localIndex, indirectIndex, fh);
        hints.push(fh);
        w.u32(body.n);
        w.bytes(body.buf.subarray(0, body.n));
      }
      releaseWriter(body);
    }
    if (hints.some((h) => h.length)) {
      out.section(0, (w) => {
        w.str(BRANCH_HINT_SECTION);
        w.u32(hints.filter((h) => h.length).length);
        hints.forEach((h, k) => {
          if (!h.length) return;
          w.u32(this.imports.length + k);
          w.u32(h.length / 2);
          for (let i = 0; i < h.length; i += 2) {
            w.u32(h[i]!);
            w.u32(1);
            w.byte(h[i + 1]!);
          }
        });
      });
    }
    out.sectionOf(10, code);
    releaseWriter(code);
    const bytes = out.result();
    releaseWriter(out);
    return bytes;
  }
}
