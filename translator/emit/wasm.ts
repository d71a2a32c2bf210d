/**
 * The one thin wrapper around binaryen.js: the translator never calls
 * binaryen directly (STYLE.md lesson 6). Expressions are typed i32 unless
 * said otherwise; the wrapper owns the module, the function's locals and
 * the import declarations of a translated module.
 */
import binaryen from 'binaryen';

export type Expr = number;

export const i32 = binaryen.i32;
export const i64 = binaryen.i64;
export const none = binaryen.none;

/**
 * The features translated code uses: exception handling (a catch_all per
 * function), bulk memory (REP MOVS/STOS), an exported mutable global (the
 * entry counter the runtime reads to find hot modules).
 */
const FEATURES = binaryen.Features.MVP | binaryen.Features.ExceptionHandling | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt
  | binaryen.Features.MutableGlobals;

export interface ImportedFunction {
  readonly name: string;
  readonly params: number;
  readonly results: boolean;
}

/** One Wasm module under construction, with one function body at a time. */
export class WasmModule {
  readonly m: binaryen.Module;
  private locals: number[] = [];
  private paramCount = 0;
  private readonly imported = new Set<string>();

  constructor(memoryPages: number) {
    this.m = new binaryen.Module();
    this.m.setFeatures(FEATURES);
    this.m.setMemory(memoryPages, memoryPages, null, [], false, false, '0');
    this.m.addMemoryImport('0', 'env', 'memory');
  }

  /** Declare an import (once per name) from the 'env' namespace. */
  importFunction(f: ImportedFunction): void {
    if (this.imported.has(f.name)) return;
    this.imported.add(f.name);
    const params = binaryen.createType(new Array<number>(f.params).fill(i32));
    this.m.addFunctionImport(f.name, 'env', f.name, params, f.results ? i32 : none);
  }

  /** Start a new function body: local indices restart after the parameters. */
  beginFunction(params: number): void {
    this.locals = [];
    this.paramCount = params;
  }

  newLocal(type: number = i32): number {
    this.locals.push(type);
    return this.paramCount + this.locals.length - 1;
  }

  newLocal64(): number {
    return this.newLocal(binaryen.i64);
  }

  /** Finish the function; returns its name. */
  endFunction(name: string, body: Expr, exported: boolean): string {
    const params = binaryen.createType(new Array<number>(this.paramCount).fill(i32));
    this.m.addFunction(name, params, i32, this.locals, body);
    if (exported) this.m.addFunctionExport(name, name);
    return name;
  }

  // --- expressions -------------------------------------------------------
  k(n: number): Expr { return this.m.i32.const(n | 0); }
  get(local: number): Expr { return this.m.local.get(local, i32); }
  set(local: number, v: Expr): Expr { return this.m.local.set(local, v); }
  tee(local: number, v: Expr): Expr { return this.m.local.tee(local, v, i32); }
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
  select(c: Expr, a: Expr, b: Expr): Expr { return this.m.select(c, a, b); }
  ret(v: Expr): Expr { return this.m.return(v); }
  call(name: string, args: Expr[], result: boolean): Expr { return this.m.call(name, args, result ? i32 : none); }
  drop(v: Expr): Expr { return this.m.drop(v); }
  nop(): Expr { return this.m.nop(); }
  unreachable(): Expr { return this.m.unreachable(); }
  /** try { body } catch_all { handler } */
  tryCatchAll(body: Expr, handler: Expr): Expr { return this.m.try('', body, [], [handler]); }
  /** Declare a mutable i32 global, exported under its name. */
  exportedGlobal(name: string, init: number): void {
    this.m.addGlobal(name, i32, true, this.m.i32.const(init));
    this.m.addGlobalExport(name, name);
  }
  globalGet(name: string): Expr { return this.m.global.get(name, i32); }
  globalSet(name: string, v: Expr): Expr { return this.m.global.set(name, v); }
  /** memory.copy (memmove semantics) of `len` bytes. */
  memoryCopy(dest: Expr, src: Expr, len: Expr): Expr { return this.m.memory.copy(dest, src, len, '0', '0'); }
  /** memory.fill of `len` bytes with the low byte of `value`. */
  memoryFill(dest: Expr, value: Expr, len: Expr): Expr { return this.m.memory.fill(dest, value, len, '0'); }

  /** Validate, optionally optimise, and emit the binary. */
  finish(optimizeLevel: number): Uint8Array {
    if (!this.m.validate()) throw new Error(`translator emitted an invalid Wasm module:\n${this.m.emitText().slice(0, 4000)}`);
    if (optimizeLevel > 0) {
      binaryen.setOptimizeLevel(optimizeLevel);
      binaryen.setShrinkLevel(0);
      this.m.optimize();
    }
    return this.m.emitBinary();
  }

  text(): string {
    return this.m.emitText();
  }

  dispose(): void {
    this.m.dispose();
  }
}
