/**
 * The CLI's V8 flags (src/cli/v8-flags.ts): which budget is chosen, that
 * setting it in a fresh process does keep a Wasm function in Liftoff where
 * V8's default budget sends it to TurboFan (V8 traces each compile with
 * --trace-wasm-compilation-times), and that the CLI's entry, src/cli.ts
 * (which bin/wasmvisor.js, npm run demo and the Linux bench run), loads
 * them before anything else.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyV8Flags, TIERING_BUDGET_ENV, tieringBudget, v8Flags, WASM_TIERING_BUDGET } from '../../src/cli/v8-flags.js';
import { PROJECT_ROOT } from '../../src/project-root.js';

const V8_DEFAULT_BUDGET = 1_800_000;

describe('the tiering budget', () => {
  it('is ours unless the environment or node itself says otherwise', () => {
    expect(tieringBudget({}, [])).toBe(WASM_TIERING_BUDGET);
    expect(tieringBudget({ [TIERING_BUDGET_ENV]: '' }, [])).toBe(WASM_TIERING_BUDGET);
    expect(tieringBudget({ [TIERING_BUDGET_ENV]: '6000000' }, [])).toBe(6_000_000);
    expect(tieringBudget({ [TIERING_BUDGET_ENV]: 'default' }, [])).toBeNull();
    expect(tieringBudget({}, ['--wasm-tiering-budget=100'])).toBeNull();
    expect(tieringBudget({ [TIERING_BUDGET_ENV]: '6000000' }, ['--wasm_tiering_budget=100'])).toBeNull();
    expect(tieringBudget({}, ['--cpu-prof'])).toBe(WASM_TIERING_BUDGET);
  });

  it('rejects a budget that is not a positive 31-bit integer', () => {
    for (const bad of ['0', '-5', '1e7', '18M', '4294967296']) {
      expect(() => tieringBudget({ [TIERING_BUDGET_ENV]: bad }, [])).toThrow(TIERING_BUDGET_ENV);
    }
  });

  it('is applied as one V8 flag', () => {
    expect(v8Flags({}, [])).toEqual([`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`]);
    const set: string[] = [];
    const proc = { env: { [TIERING_BUDGET_ENV]: '7000000' }, execArgv: [] } as unknown as NodeJS.Process;
    expect(applyV8Flags(proc, (f) => set.push(f))).toEqual(['--wasm-tiering-budget=7000000']);
    expect(set).toEqual(['--wasm-tiering-budget=7000000']);
    expect(applyV8Flags({ env: { [TIERING_BUDGET_ENV]: 'default' }, execArgv: [] } as unknown as NodeJS.Process, (f) => set.push(f))).toEqual([]);
    expect(set).toHaveLength(1);
  });
});

// A Wasm function (sum of n..1) run for `iterations` loop turns in all,
// about 30 bytes of code each: V8 tiers it up after roughly budget / 30
// turns. The probe runs between V8's default budget and ours, so V8's
// default compiles it with TurboFan and ours leaves it in Liftoff.
const PROBE = `
const bytes = new Uint8Array([0,0x61,0x73,0x6d,1,0,0,0, 1,6,1,0x60,1,0x7f,1,0x7f, 3,2,1,0, 7,5,1,1,0x66,0,0,
  0x0a,0x23,1,0x21, 1,1,0x7f, 2,0x40,3,0x40, 0x20,0,0x45,0x0d,1, 0x20,1,0x20,0,0x6a,0x21,1, 0x20,0,0x41,1,0x6b,0x21,0,
  0x0c,0, 0x0b,0x0b, 0x20,1,0x0b]);
const { instance } = await WebAssembly.instantiate(bytes);
const iterations = Number(process.env.PROBE_ITERATIONS);
for (let i = 0; i < iterations / 1000; i++) instance.exports.f(1000);
await new Promise((r) => setTimeout(r, 200)); // a tier-up compiles in the background
instance.exports.f(10);
`;
const PROBE_ITERATIONS = Math.round(Math.sqrt(V8_DEFAULT_BUDGET * WASM_TIERING_BUDGET) / 30);

/** How many functions V8 compiled with TurboFan while the probe ran in a fresh node with these flags set first. */
function turboFanCompiles(opts: { flags?: string[]; nodeArgs?: string[]; env?: NodeJS.ProcessEnv }): number {
  const set = (opts.flags ?? []).map((f) => `setFlagsFromString(${JSON.stringify(f)});`).join('\n');
  const script = `import { setFlagsFromString } from 'node:v8';\n${set}\n${PROBE}`;
  const out = execFileSync(process.execPath, ['--trace-wasm-compilation-times', ...(opts.nodeArgs ?? []), '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env, PROBE_ITERATIONS: String(PROBE_ITERATIONS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(out).toMatch(/using Liftoff/); // the trace works in this node
  return out.split('\n').filter((l) => /using TurboFan/.test(l)).length;
}

describe('in a fresh node', () => {
  it('our budget keeps a function run between the budgets in Liftoff; V8 default tiers it up', () => {
    expect(WASM_TIERING_BUDGET).toBeGreaterThanOrEqual(3 * V8_DEFAULT_BUDGET); // else the probe has no room
    expect(turboFanCompiles({})).toBeGreaterThan(0);
    expect(turboFanCompiles({ flags: v8Flags({}, []) })).toBe(0);
  });

  const init = join(PROJECT_ROOT, 'dist', 'src', 'cli', 'v8-flags-init.js');
  it.skipIf(!existsSync(init))('the compiled init module (the CLI, the Linux bench) sets it before the program runs', () => {
    const nodeArgs = ['--import', pathToFileURL(init).href];
    expect(turboFanCompiles({ nodeArgs })).toBe(0);
    expect(turboFanCompiles({ nodeArgs, env: { [TIERING_BUDGET_ENV]: 'default' } })).toBeGreaterThan(0);
  });
});

describe('src/cli.ts (the entry of bin/wasmvisor.js and npm run demo)', () => {
  it('loads the init module before anything else it imports', () => {
    const text = readFileSync(join(PROJECT_ROOT, 'src', 'cli.ts'), 'utf8');
    const imports = [...text.matchAll(/^import\s[^;]*;/gm)].map((m) => m[0]);
    expect(imports[0]).toBe("import './cli/v8-flags-init.js';");
    expect(imports.length).toBeGreaterThan(1);
  });
});
