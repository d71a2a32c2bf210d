/** Entry point of the `wasmvisor` command (bin/wasmvisor.js and `npm run demo` load this). */
// First: the CLI's V8 flags, before anything compiles Wasm (src/cli/v8-flags.ts).
import './cli/v8-flags-init.js';
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2));
