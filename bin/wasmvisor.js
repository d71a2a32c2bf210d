#!/usr/bin/env node
// The `wasmvisor` command: runs src/cli.ts through tsx's loader, so the
// TypeScript sources need no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
