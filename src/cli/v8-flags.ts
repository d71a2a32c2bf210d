/**
 * The V8 flags the Node CLI sets for itself before any Wasm module is
 * compiled (src/cli/v8-flags-init.ts applies them; the CLI's entry,
 * src/cli.ts, imports that first, so bin/wasmvisor.js, npm run demo and the
 * Linux bench's wasmvisor runs all have them: the bench measures what users
 * run). The integer corpus bench
 * (bench/measure.ts) and the library API run at V8's default, as a browser
 * does: that bench measures translated code in steady state.
 *
 * Why: V8 runs a Wasm function in Liftoff, its baseline compiler, and
 * recompiles it with TurboFan on a background thread once it has spent a
 * "tiering budget" (roughly bytes of code executed; V8's default is
 * 1,800,000). We compile thousands of small modules while Linux boots, and
 * most of their code runs a few times; at V8's default a profile of a boot
 * showed 57% of CPU samples in TurboFan's background threads, work that
 * never pays back and that takes a core from the main thread on a 2-core
 * host. Hot loops still reach TurboFan with a budget ten times larger, only
 * a little later. Measured on a loaded 2-core host, Linux booted to
 * `uname -a` and poweroff (cryptomgr.notests), CPU seconds (user+sys) of
 * the process, mean of 2 boots per budget, budgets alternated:
 *   budget       1.8M (V8)  6M    18M   60M
 *   jit-inline   83.0       81.4  69.1  63.4
 *   jit-hot      86.7       79.9  64.6  61.9
 * and no slower in steady state: the Linux bench's quick workload 13.4 s
 * at 1.8M, 12.6 s at 18M (wall, 2 runs each); md5 under jit-hot 2995 and
 * 2947 MIPS at 1.8M, 3003 and 2873 at 18M (run-to-run noise). 60M saves
 * a little more at boot but makes every hot loop wait 3.3 times longer for
 * TurboFan; we took 18M.
 *
 * Branch hints. The baseline encoder marks the branches to a memory
 * access's slow path and to a region's exits as unlikely (the branch
 * hinting proposal's metadata.code.branch_hint section: translator/emit/
 * wasm-bytes.ts); with --experimental-wasm-branch-hinting TurboFan lays
 * the code they reach out after the function's hot path instead of in
 * the middle of it, so that a region's hot path is one short run of code.
 * A profile of a Linux guest's shell loop (perf, V8's --perf-prof) had a
 * quarter of translated code's samples on the first instructions of a
 * region's function (the code fetch when the dispatcher enters it) and as
 * many again spread over its body: the regions' code misses the caches.
 * Measured on Debian's 686 kernel, the int phase of the Linux bench's
 * workload (`wasmvisor.cmd=` running the shell loop alone, timed on the
 * host at its marker lines), alternated: 8.48 and 6.36 s without hints,
 * 5.17 and 5.37 s with; boot to the loop's end 45.0/43.0 s against
 * 37.8/37.4 s. Liftoff ignores the hints; engines that do not know the
 * section skip it.
 *
 * A browser cannot set V8 flags: the web build runs at V8's default.
 */
import { setFlagsFromString } from 'node:v8';

/** The Wasm tiering budget the CLI runs with (V8's default is 1,800,000). */
export const WASM_TIERING_BUDGET = 18_000_000;

/** Environment override: a positive integer budget, or `default` to leave V8's own. */
export const TIERING_BUDGET_ENV = 'WASMVISOR_WASM_TIERING_BUDGET';

const BUDGET_FLAG = '--wasm-tiering-budget';

/** The V8 flag that makes TurboFan use a module's branch hints (see above). */
export const BRANCH_HINT_FLAG = '--experimental-wasm-branch-hinting';

/**
 * The budget to set, or null to leave V8's: the environment override if
 * given, else ours. A budget given to node itself (`node
 * --wasm-tiering-budget=N`) wins over both.
 */
export function tieringBudget(env: NodeJS.ProcessEnv, nodeFlags: readonly string[]): number | null {
  if (nodeFlags.some((f) => f === BUDGET_FLAG || f.startsWith(`${BUDGET_FLAG}=`) || f.startsWith('--wasm_tiering_budget'))) return null;
  const text = env[TIERING_BUDGET_ENV]?.trim();
  if (text === undefined || text === '') return WASM_TIERING_BUDGET;
  if (text === 'default') return null;
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > 0x7fff_ffff) {
    throw new Error(`${TIERING_BUDGET_ENV} must be a positive integer below 2^31 or "default", not ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/**
 * The V8 flags for this process: the tiering budget (see tieringBudget)
 * and branch hints on, unless node itself was given either hint flag
 * (`node --no-experimental-wasm-branch-hinting` turns them off).
 */
export function v8Flags(env: NodeJS.ProcessEnv, nodeFlags: readonly string[]): string[] {
  const budget = tieringBudget(env, nodeFlags);
  const flags = budget === null ? [] : [`${BUDGET_FLAG}=${budget}`];
  if (!nodeFlags.some((f) => /^--(no-?)?experimental[-_]wasm[-_]branch[-_]hinting$/.test(f))) flags.push(BRANCH_HINT_FLAG);
  return flags;
}

/**
 * Set the flags in this process; returns them. Only effective before the
 * first Wasm module is compiled and instantiated (V8 gives each function
 * its budget then).
 */
export function applyV8Flags(proc: NodeJS.Process = process, set: (flag: string) => void = setFlagsFromString): string[] {
  const flags = v8Flags(proc.env, proc.execArgv);
  for (const flag of flags) set(flag);
  return flags;
}
