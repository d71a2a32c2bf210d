/**
 * Wasm module binaries to the text format, with wabt (the golden snapshot
 * tests of emitted code and `wasmvisor --dump-wasm`). wabt is an Emscripten
 * build that initialises asynchronously, once per process; after that,
 * conversion is synchronous.
 *
 * wabt reads only the features it is told about: translated code uses
 * bulk memory and exported mutable globals, so both are enabled here, and
 * the module is validated before it is printed.
 */
import wabtInit from 'wabt';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;

/** The post-MVP features our modules may use (translator/emit/wasm.ts sets the same in binaryen). */
export const WASM_FEATURES = { bulk_memory: true, mutable_globals: true } as const;

let loading: Promise<Wabt> | null = null;

/** The wabt instance (initialised on first use). */
export function loadWabt(): Promise<Wabt> {
  loading ??= wabtInit();
  return loading;
}

/**
 * Text of a module binary: validated by wabt, names generated for locals,
 * labels and types (`$l3`, `$B1`), expressions folded into S-expressions.
 * Throws with wabt's message when the binary is malformed or invalid.
 */
export function wasmToTextWith(wabt: Wabt, binary: Uint8Array): string {
  const mod = wabt.readWasm(binary, { readDebugNames: true, check: true, ...WASM_FEATURES });
  try {
    mod.validate();
    mod.generateNames();
    mod.applyNames();
    return mod.toText({ foldExprs: true, inlineExport: true });
  } finally {
    mod.destroy();
  }
}

/** As wasmToTextWith, initialising wabt first if needed. */
export async function wasmToText(binary: Uint8Array): Promise<string> {
  return wasmToTextWith(await loadWabt(), binary);
}
