/**
 * The one thin wrapper around binaryen.js: the translator never calls
 * binaryen directly (STYLE.md lesson 6). Expressions are typed i32 unless
 * said otherwise; the wrapper owns the module, the function's locals and
 * the import declarations of a translated module.
 */
import type binaryen from 'binaryen';
import { binaryenLib, TYPE_I32, TYPE_I64, TYPE_NONE, TYPE_UNREACHABLE } from './binaryen-lib.js';
import { ByteModule, Ty } from './wasm-bytes.js';

export type Expr = number;

export const i32 = TYPE_I32;
export const i64 = TYPE_I64;
export const none = TYPE_NONE;

/**
 * The features translated code uses: bulk memory (REP MOVS/STOS), exported
 * mutable globals (the entry counter the runtime reads to find hot
 * modules; a module's helper number). No exception handling: a failed
 * runtime call is a status the code tests (EmitBackend.raised).
 */
function features(lib: typeof binaryen): number {
  return lib.Features.MVP | lib.Features.BulkMemory | lib.Features.BulkMemoryOpt | lib.Features.MutableGlobals;
}

export interface ImportedFunction {
  readonly name: string;
  readonly params: number;
  readonly results: boolean;
}

/** A runtime function that translated code calls through the shared function table, at element `slot`. */
export interface TableFunction extends ImportedFunction {
  readonly slot: number;
}

/** binaryen's type ids to the baseline encoder's. */
const unreachable = TYPE_UNREACHABLE;
function tyOf(t: number): Ty {
  if (t === i32) return Ty.I32;
  if (t === i64) return Ty.I64;
  if (t === none) return Ty.None;
  if (t === unreachable) return Ty.Unreachable;
  throw new Error(`the baseline encoder has no type ${t}`);
}

/** Which encoder builds a module: binaryen (validation, optimiser, text) or the baseline one (wasm-bytes.ts). */
export type Encoder = 'binaryen' | 'direct';

/**
 * One Wasm module under construction, with one function body at a time.
 * With the 'direct' encoder, `m` is the baseline encoder's expression
 * builder, which has binaryen.Module's signatures for the expressions the
 * emitter builds, and finish() writes the bytes itself (no optimisation).
 */
export class WasmModule {
  readonly m: binaryen.Module;
  private readonly bytes: ByteModule | null;
  private locals: number[] = [];
  private paramCount = 0;
  private readonly imported = new Set<string>();

  /** `coalesceLocals`: the baseline encoder's functions share slots among their locals (ByteModule). */
  constructor(memoryPages: number, readonly encoder: Encoder = 'binaryen', coalesceLocals = true) {
    if (encoder === 'direct') {
      this.bytes = new ByteModule(tyOf, coalesceLocals);
      this.m = this.bytes.e as unknown as binaryen.Module;
      this.bytes.importMemory('env', 'memory', memoryPages, memoryPages);
      return;
    }
    this.bytes = null;
    const lib = binaryenLib();
    this.m = new lib.Module();
    this.m.setFeatures(features(lib));
    this.m.setMemory(memoryPages, memoryPages, null, [], false, false, '0');
    this.m.addMemoryImport('0', 'env', 'memory');
  }

  /** Runtime functions declared with declareTableFunction, by name. */
  private readonly declared = new Map<string, TableFunction>();
  /** Elements of the imported table the runtime functions take (0: no table imported yet). */
  private tableMin = 0;

  /**
   * Make a runtime function callable by name: call() of it is a
   * call_indirect through the imported table (the runtime's shared
   * function table, element `slot`), and the module imports the table on
   * the first such call. Not a function import: for each function import,
   * V8's `new WebAssembly.Module` compiles a JS call wrapper with TurboFan
   * (Node 20: about 120 us a module, and 88% of Module()'s time on the
   * modules of a Linux boot), where a table import costs nothing to compile.
   */
  declareTableFunction(f: TableFunction): void {
    this.declared.set(f.name, f);
  }

  /** Import the runtime's function table (once), with at least the declared functions' elements. */
  private useTable(): void {
    if (this.tableMin) return;
    for (const f of this.declared.values()) this.tableMin = Math.max(this.tableMin, f.slot + 1);
    this.importTable(this.tableMin);
  }

  /** Import the runtime's shared function table ('env' 'table') as table 0, for callIndirect(). */
  importSharedTable(): void {
    this.importTable(0);
  }

  /** Import 'env' 'table' as table 0, of at least `min` elements. */
  private importTable(min: number): void {
    if (this.bytes) {
      this.bytes.importTable('env', 'table', min);
      return;
    }
    this.m.addTable('0', min, 0xffffffff);
    this.m.addTableImport('0', 'env', 'table');
  }

  /** call_indirect through table 0 of a function taking i32s and returning an i32 (or nothing, `result` false). */
  callIndirect(target: Expr, args: Expr[], result = true): Expr {
    if (this.bytes) return this.bytes.e.callIndirect(target, args, result ? Ty.I32 : Ty.None);
    return this.m.call_indirect('0', target, args, binaryenLib().createType(args.map(() => i32)), result ? i32 : none);
  }

  /** Declare an import (once per name) from the 'env' namespace, called `as` in the module. */
  importFunction(f: ImportedFunction, as = f.name): void {
    if (this.imported.has(as)) return;
    this.imported.add(as);
    if (this.bytes) {
      this.bytes.importFunction(as, 'env', f.name, new Array<Ty>(f.params).fill(Ty.I32), f.results ? Ty.I32 : Ty.None);
      return;
    }
    const params = binaryenLib().createType(new Array<number>(f.params).fill(i32));
    this.m.addFunctionImport(as, 'env', f.name, params, f.results ? i32 : none);
  }

  /** Start a new function body: local indices restart after the parameters. */
  beginFunction(params: number): void {
    this.locals = [];
    this.paramCount = params;
    this.assignedLocals = [];
    this.readLocals = [];
  }

  /** Locals of the current function that set() or tee() assigned (not those initSet() did). */
  private assignedLocals: boolean[] = [];

  /** Has set() or tee() assigned the local in the current function so far? */
  assigned(local: number): boolean {
    return this.assignedLocals[local] === true;
  }

  /** Locals of the current function that get() read. */
  private readLocals: boolean[] = [];

  /** Has get() read the local, or set() or tee() assigned it, in the current function so far? */
  used(local: number): boolean {
    return this.readLocals[local] === true || this.assignedLocals[local] === true;
  }

  newLocal(type: number = i32): number {
    this.locals.push(type);
    return this.paramCount + this.locals.length - 1;
  }

  newLocal64(): number {
    return this.newLocal(i64);
  }

  /** Finish the function (its result an i32, or none with `result` false); returns its name. */
  endFunction(name: string, body: Expr, exported: boolean, result = true): string {
    if (this.bytes) {
      this.bytes.addFunction(name, new Array<Ty>(this.paramCount).fill(Ty.I32), result ? Ty.I32 : Ty.None, this.locals.map(tyOf), body);
      if (exported) this.bytes.exportFunction(name, name);
      return name;
    }
    const params = binaryenLib().createType(new Array<number>(this.paramCount).fill(i32));
    this.m.addFunction(name, params, result ? i32 : none, this.locals, body);
    if (exported) this.m.addFunctionExport(name, name);
    return name;
  }

  // --- expressions -------------------------------------------------------
  k(n: number): Expr { return this.m.i32.const(n | 0); }
  get(local: number): Expr {
    this.readLocals[local] = true;
    return this.m.local.get(local, i32);
  }
  set(local: number, v: Expr): Expr {
    this.assignedLocals[local] = true;
    return this.m.local.set(local, v);
  }
  tee(local: number, v: Expr): Expr {
    this.assignedLocals[local] = true;
    return this.m.local.tee(local, v, i32);
  }
  /** A set that assigned() does not count: a local loaded with the value it stands for (a register from the state block). */
  initSet(local: number, v: Expr): Expr { return this.m.local.set(local, v); }
  load(offset: number, size: 1 | 2 | 4, addr: Expr): Expr {
    const m = this.m;
    if (size === 4) return m.i32.load(offset, 1, addr);
    if (size === 2) return m.i32.load16_u(offset, 1, addr);
    return m.i32.load8_u(offset, 1, addr);
  }
  store(offset: number, size: 1 | 2 | 4, addr: Expr, v: Expr): Expr {
    const m = this.m;
    if (size === 4) return m.i32.store(offset, 1, addr, v);
    if (size === 2) return m.i32.store16(offset, 1, addr, v);
    return m.i32.store8(offset, 1, addr, v);
  }
  block(stmts: Expr[], result = false): Expr { return this.m.block(null, stmts, result ? i32 : none); }
  named(name: string, stmts: Expr[]): Expr { return this.m.block(name, stmts, none); }
  loop(name: string, body: Expr): Expr { return this.m.loop(name, body); }
  br(name: string, cond?: Expr): Expr { return this.m.br(name, cond); }
  if_(c: Expr, t: Expr, e?: Expr): Expr { return this.m.if(c, t, e); }
  /**
   * A br_if that is rarely taken (a slow path's, an exit's): hinted so
   * (the baseline encoder's branch hint section), so that the engine may
   * lay the code it reaches out of the way of the code that runs. binaryen
   * writes no hint: the same branch.
   */
  brUnlikely(name: string, cond: Expr): Expr {
    const e = this.m.br(name, cond);
    this.bytes?.e.hint(e, false);
    return e;
  }
  /** An if whose arm rarely runs (see brUnlikely). */
  ifUnlikely(c: Expr, t: Expr): Expr {
    return this.ifHinted(c, t, undefined, false);
  }
  /** An if whose then-arm is `likely` to run, or not (its else-arm then being the likely one). */
  ifHinted(c: Expr, t: Expr, e: Expr | undefined, likely: boolean): Expr {
    const x = this.m.if(c, t, e);
    this.bytes?.e.hint(x, likely);
    return x;
  }
  select(c: Expr, a: Expr, b: Expr): Expr { return this.m.select(c, a, b); }
  ret(v: Expr): Expr { return this.m.return(v); }
  call(name: string, args: Expr[], result: boolean): Expr {
    const declared = this.declared.get(name);
    if (declared) {
      this.useTable();
      return this.callIndirect(this.m.i32.const(declared.slot), args, result);
    }
    return this.m.call(name, args, result ? i32 : none);
  }
  drop(v: Expr): Expr { return this.m.drop(v); }
  nop(): Expr { return this.m.nop(); }
  unreachable(): Expr { return this.m.unreachable(); }
  /** Declare a mutable i32 global, exported under its name. */
  exportedGlobal(name: string, init: number): void {
    if (this.bytes) {
      this.bytes.addGlobal(name, init);
      this.bytes.exportGlobal(name, name);
      return;
    }
    this.m.addGlobal(name, i32, true, this.m.i32.const(init));
    this.m.addGlobalExport(name, name);
  }
  globalGet(name: string): Expr { return this.m.global.get(name, i32); }
  globalSet(name: string, v: Expr): Expr { return this.m.global.set(name, v); }
  /** memory.copy (memmove semantics) of `len` bytes. */
  memoryCopy(dest: Expr, src: Expr, len: Expr): Expr { return this.m.memory.copy(dest, src, len, '0', '0'); }
  /** memory.fill of `len` bytes with the low byte of `value`. */
  memoryFill(dest: Expr, value: Expr, len: Expr): Expr { return this.m.memory.fill(dest, value, len, '0'); }

  /**
   * Validate, optionally optimise, and emit the binary. The baseline
   * encoder neither validates (the engine does when it compiles the
   * module) nor optimises.
   */
  finish(optimizeLevel: number): Uint8Array {
    if (this.bytes) {
      if (optimizeLevel > 0) throw new Error('the baseline encoder does not optimise: use binaryen');
      return this.bytes.emit();
    }
    if (!this.m.validate()) throw new Error(`translator emitted an invalid Wasm module:\n${this.m.emitText().slice(0, 4000)}`);
    if (optimizeLevel > 0) {
      binaryenLib().setOptimizeLevel(optimizeLevel);
      binaryenLib().setShrinkLevel(0);
      this.m.optimize();
    }
    return this.m.emitBinary();
  }

  text(): string {
    if (this.bytes) throw new Error('the baseline encoder writes no text: use binaryen');
    return this.m.emitText();
  }

  dispose(): void {
    if (this.bytes) this.bytes.dispose();
    else this.m.dispose();
  }
}
