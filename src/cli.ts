/** Entry point of the `wasmvisor` command (bin/wasmvisor.js and `npm run demo` load this). */
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2));
