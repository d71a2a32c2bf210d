/**
 * The CLI's tier flags: --strategy NAME picks the interpreter or a JIT
 * strategy; --dump-wasm DIR writes every compiled module and its wabt
 * text (which must read our modules: they use exception handling).
 *
 *   npx vitest run test/jit/cli.test.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { PROJECT_ROOT } from '../../src/project-root.js';

const BIN = join(PROJECT_ROOT, 'bin', 'wasmvisor.js');
/** Spawned runs may first rebuild dist/ with tsc. */
const TIMEOUT = 180_000;
const PRIMES = 'first 20 primes: 2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 53 59 61 67 71';

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: TIMEOUT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('--strategy and --dump-wasm parsing', () => {
  it('defaults to jit-inline, and to jit-hot when dumping', () => {
    expect(parseArgs([]).strategy).toBe('jit-inline');
    expect(parseArgs(['--strategy', 'interpreter']).strategy).toBe('interpreter');
    expect(parseArgs(['--strategy', 'jit-eager']).strategy).toBe('jit-eager');
    expect(parseArgs(['-strategy', 'jit-hot-verify']).strategy).toBe('jit-hot-verify');
    expect(parseArgs(['--dump-wasm', 'out'])).toMatchObject({ strategy: 'jit-hot', dumpWasm: 'out' });
    expect(parseArgs(['--dump-wasm', 'out', '--strategy', 'jit-eager'])).toMatchObject({ strategy: 'jit-eager', dumpWasm: 'out' });
  });

  it('rejects an unknown strategy, a missing value, and dumping from the interpreter', () => {
    expect(() => parseArgs(['--strategy', 'turbo'])).toThrow(/unknown strategy 'turbo' \(known: interpreter, jit-eager/);
    expect(() => parseArgs(['--strategy'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--dump-wasm'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--strategy', 'interpreter', '--dump-wasm', 'out'])).toThrow(/--dump-wasm needs a JIT strategy/);
  });
});

describe('wasmvisor with a JIT strategy', () => {
  it('runs the demo guest with --strategy jit-eager and reports the JIT counters', () => {
    const r = cli('--strategy', 'jit-eager', '--stats');
    expect(r.stdout).toContain(PRIMES);
    expect(r.stderr).toMatch(/JIT \(jit-eager\):/);
    expect(Number(/compiles\s+(\d+)/.exec(r.stderr)?.[1])).toBeGreaterThan(0);
    expect(r.status).toBe(0);
  }, TIMEOUT);

  it('exits 2 on an unknown strategy', () => {
    const r = cli('--strategy', 'turbo');
    expect(r.stderr).toMatch(/unknown strategy 'turbo'/);
    expect(r.status).toBe(2);
  }, TIMEOUT);

  it('--dump-wasm writes each compiled module and its text, and wabt reads them all', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wasmvisor-dump-')), 'modules');
    const r = cli('--dump-wasm', dir);
    expect(r.stdout).toContain(PRIMES);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/cannot convert/);
    const files = readdirSync(dir);
    const modules = files.filter((f) => f.endsWith('.wasm')).map((f) => f.slice(0, -'.wasm'.length));
    expect(modules.length).toBeGreaterThan(0);
    expect(r.stderr).toContain(`wrote ${modules.length} modules to ${dir} (.wasm, and .wat for ${modules.length})`);
    for (const name of modules) {
      expect(WebAssembly.validate(readFileSync(join(dir, `${name}.wasm`))), `${name}.wasm validates`).toBe(true);
      const text = readFileSync(join(dir, `${name}.wat`), 'utf8');
      expect(text).toMatch(/^\(module/);
      // One exported function per entry, the region's own first.
      expect(text).toContain('(export "run")');
      // Runtime calls go through the runtime's table: no function imports (V8 compiles a wrapper for each).
      expect(text).not.toMatch(/\(import "env" "\w+" \(func/);
      expect(text).not.toContain('catch_all');
    }
  }, TIMEOUT);
});
