/**
 * Imported first by the CLI's entry, src/cli.ts (which bin/wasmvisor.js,
 * npm run demo and the Linux bench's wasmvisor runs start): sets the V8 flags of
 * src/cli/v8-flags.ts before anything compiles Wasm (binaryen's own module
 * included).
 */
import { applyV8Flags } from './v8-flags.js';

try {
  applyV8Flags();
} catch (e) {
  process.stderr.write(`wasmvisor: ${(e as Error).message}\n`);
  process.exit(2);
}
