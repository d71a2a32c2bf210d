#!/usr/bin/env node
// The `wasmvisor` command: runs src/cli.ts from its compiled form (built on demand).
import { runEntry } from '../scripts/run.mjs';

await runEntry('src/cli.ts', process.argv.slice(2));
