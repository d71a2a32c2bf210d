/**
 * Child process of the bench: times one workload under one strategy in a
 * fresh V8 (see bench/guest.ts for why) and prints the GuestTiming as one
 * JSON line on stdout; progress and errors go to stderr.
 *
 *   node scripts/run.mjs bench/measure.ts WORKLOAD STRATEGY [PLAN-JSON]
 *
 * PLAN-JSON is a TimingPlan (default: the default suite's). Run it by hand
 * to profile one measurement, e.g. `node --cpu-prof dist/bench/measure.js
 * md5 jit-hot '{"primeSeconds":1,"targetSeconds":1,"warmup":0,"runs":1}'`.
 */
import { readImageFile } from '../src/loaders/flat.js';
import { timeGuest, type TimingPlan } from './guest.js';
import { STRATEGIES } from './strategies.js';
import { buildWorkloadGuest, WORKLOADS } from './workloads.js';

const DEFAULT_PLAN: TimingPlan = { primeSeconds: 1, targetSeconds: 1, warmup: 0, runs: 3 };

async function main(argv: readonly string[]): Promise<number> {
  const [workload, strategyName, planText] = argv;
  const strategy = STRATEGIES.find((s) => s.name === strategyName);
  if (!workload || !WORKLOADS.some((w) => w.name === workload) || !strategy) {
    process.stderr.write(`usage: measure WORKLOAD STRATEGY [PLAN-JSON]\n  workloads: ${WORKLOADS.map((w) => w.name).join(', ')}\n  strategies: ${STRATEGIES.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const plan: TimingPlan = planText ? { ...DEFAULT_PLAN, ...(JSON.parse(planText) as Partial<TimingPlan>) } : DEFAULT_PLAN;
  const timing = await timeGuest(readImageFile(buildWorkloadGuest(workload)), workload, strategy, plan);
  process.stdout.write(JSON.stringify(timing) + '\n');
  return 0;
}

// exit() rather than exitCode: a stray handle (a compile worker) must not keep the process alive.
process.exit(await main(process.argv.slice(2)));
