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
import { applyV8Flags, BRANCH_HINT_FLAG, TIERING_BUDGET_ENV, tieringBudget, v8Flags, WASM_TIERING_BUDGET } from '../../src/cli/v8-flags.js';
import { WasmModule } from '../../translator/emit/wasm.js';
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

  it('is applied as a V8 flag, beside branch hints', () => {
    expect(v8Flags({}, [])).toEqual([`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`, BRANCH_HINT_FLAG]);
    const set: string[] = [];
    const proc = { env: { [TIERING_BUDGET_ENV]: '7000000' }, execArgv: [] } as unknown as NodeJS.Process;
    expect(applyV8Flags(proc, (f) => set.push(f))).toEqual(['--wasm-tiering-budget=7000000', BRANCH_HINT_FLAG]);
    expect(set).toEqual(['--wasm-tiering-budget=7000000', BRANCH_HINT_FLAG]);
    expect(applyV8Flags({ env: { [TIERING_BUDGET_ENV]: 'default' }, execArgv: [] } as unknown as NodeJS.Process, (f) => set.push(f))).toEqual([BRANCH_HINT_FLAG]);
    expect(set).toHaveLength(3);
  });

  it('leaves branch hints to node when it was given either hint flag', () => {
    expect(v8Flags({}, ['--no-experimental-wasm-branch-hinting'])).toEqual([`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`]);
    expect(v8Flags({}, ['--experimental_wasm_branch_hinting'])).toEqual([`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`]);
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

/**
 * A function whose rarely-run arm (a long product) is behind a branch
 * hinted unlikely by the baseline encoder: the offsets of its machine
 * code's return and of its first multiplication, as TurboFan compiles it
 * (--print-wasm-code, Liftoff off) in a fresh node with these flags set
 * first.
 */
function layout(flags: readonly string[]): { ret: number; mul: number } {
  const mod = new WasmModule(1, 'direct');
  let bytes: Uint8Array;
  try {
    const m = mod.m;
    mod.beginFunction(1);
    const x = mod.newLocal();
    let cold = mod.get(0);
    for (let i = 0; i < 16; i++) cold = m.i32.mul(cold, m.i32.add(mod.get(0), mod.k(i)));
    mod.endFunction('f', mod.block([
      mod.set(x, mod.k(1)),
      mod.ifUnlikely(m.i32.eq(mod.get(0), mod.k(7)), mod.set(x, cold)),
      m.i32.add(mod.get(x), mod.k(1)),
    ], true), true);
    bytes = mod.finish(0);
  } finally {
    mod.dispose();
  }
  const set = flags.map((f) => `setFlagsFromString(${JSON.stringify(f)});`).join('\n');
  const script = `import { setFlagsFromString } from 'node:v8';\n${set}
const bytes = Uint8Array.from(Buffer.from(process.env.HINT_MODULE, 'hex'));
const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
const f = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.f;
if (f(3) !== 2) throw new Error('wrong result');`;
  const out = execFileSync(process.execPath, ['--print-wasm-code', '--no-liftoff', '--input-type=module', '-e', script], {
    encoding: 'utf8', env: { ...process.env, HINT_MODULE: Buffer.from(bytes).toString('hex') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Lines of the listing: address, offset (hex), bytes, instruction.
  const code = out.split('\n').map((l) => /^0x[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+(.*)$/.exec(l)).filter((x) => x !== null);
  const at = (re: RegExp): number => parseInt(code.find((x) => re.test(x![2]!))?.[1] ?? 'ffff', 16);
  return { ret: at(/^ret/), mul: at(/^imul/) };
}

describe('branch hints in a fresh node', () => {
  it('with the CLI\'s flags, TurboFan returns before the unlikely arm\'s code; without, after it', () => {
    const hinted = layout(v8Flags({}, []));
    expect(hinted.ret).toBeLessThan(hinted.mul);
    const plain = layout([]);
    expect(plain.ret).toBeGreaterThan(plain.mul);
  });
});
