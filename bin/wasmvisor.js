#!/usr/bin/env node
// The `wasmvisor` command: runs src/cli.ts from its compiled form (built on demand).
import { ensureBuilt, runEntry } from '../scripts/run.mjs';

ensureBuilt();
// V8 flags first, before anything compiles Wasm: a larger Wasm tiering budget,
// so that boot code run a few times is not recompiled by TurboFan (why and
// figures: src/cli/v8-flags.ts).
await import('../dist/src/cli/v8-flags-init.js');
await runEntry('src/cli.ts', process.argv.slice(2));
