/**
 * binaryen.js, loaded on demand. The baseline encoder (wasm-bytes.ts)
 * writes every module of the default strategies and the support module,
 * so a run of those never loads binaryen: importing it cost about 0.5 s
 * of every CLI start (its own Wasm module compiled and instantiated), and
 * a browser would fetch its 12 MB for nothing. Whatever builds a module
 * with binaryen (optimised tiers, text, the 'binaryen' encoder) awaits
 * loadBinaryen() first: the CLI and the browser session when their
 * strategy needs it, the compile worker for such a job, the tools and the
 * tests at their start. Building one without it throws.
 */
import type binaryen from 'binaryen';

export type Binaryen = typeof binaryen;

let lib: Binaryen | null = null;

/**
 * binaryen's type ids that the translator names without binaryen loaded
 * (its C API's BinaryenTypeNone() ... BinaryenTypeInt64(): fixed values,
 * checked when the library loads).
 */
export const TYPE_NONE = 0;
export const TYPE_UNREACHABLE = 1;
export const TYPE_I32 = 2;
export const TYPE_I64 = 3;

/** Load binaryen.js (once). */
export async function loadBinaryen(): Promise<Binaryen> {
  if (lib) return lib;
  const loaded = (await import('binaryen')).default;
  const ids: Array<[string, number, number]> = [
    ['none', loaded.none, TYPE_NONE], ['unreachable', loaded.unreachable, TYPE_UNREACHABLE], ['i32', loaded.i32, TYPE_I32], ['i64', loaded.i64, TYPE_I64],
  ];
  for (const [name, got, want] of ids) {
    if (got !== want) throw new Error(`binaryen.js gives type ${name} the id ${got}, not ${want} as translator/emit/binaryen-lib.ts assumes`);
  }
  lib = loaded;
  return lib;
}

/** Has binaryen.js been loaded? */
export function binaryenLoaded(): boolean {
  return lib !== null;
}

/** binaryen.js, which must have been loaded (loadBinaryen). */
export function binaryenLib(): Binaryen {
  if (!lib) throw new Error('binaryen.js is not loaded: await loadBinaryen() before building a module with binaryen (optimised tiers, text, the binaryen encoder)');
  return lib;
}
