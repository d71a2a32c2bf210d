/**
 * `npm run diff -- [--cases N] [--seed S] [--tier T] [--filter F] [--exclude F] [--list] [--max-failures K] [--shard i/n] [--fpu exact|fast]`
 *
 * Generates N cases of every opcode form selected by F, runs each on the
 * host CPU (test/oracle) and in wasmvisor tier T, and compares registers,
 * flags, memory written and the exception raised. Ends with the line
 * `N passed, N failed`; exits non-zero on any failure.
 */
import { NativeOracle, type OracleCase, type OracleResult } from '../oracle/native.js';
import { compareResults, reproducer } from './compare.js';
import { enumerateForms, formMatches, type Form } from './forms.js';
import { generateCase, Rng } from './generate.js';
import { TIERS } from './tiers.js';
import { ReferenceRunner } from './reference.js';
import { chainForms, chainReproducer, compareChain, generateChain } from './chain.js';
// binaryen.js before anything runs: the strategies this tool may run build modules with it.
import '../../translator/emit/binaryen-ready.js';

interface Options {
  cases: number;
  seed: number;
  tier: string;
  filter: string | undefined;
  /** Forms to leave out (same matching as --filter). */
  exclude: string | undefined;
  list: boolean;
  maxFailures: number;
  quiet: boolean;
  /** Run only forms whose index is `shard` modulo `shards`. */
  shard: number;
  shards: number;
  /** Run N chains of up to K instructions instead of single-instruction cases. */
  chain: number;
  /** x87 strategy of the tier's vCPU: 'exact' (default) or 'fast' (runtime/fpu/fast.ts; differences from the host are expected). */
  fpu: 'exact' | 'fast';
}

function usage(msg: string): never {
  process.stderr.write(`diff: ${msg}\nusage: npm run diff -- [--cases N] [--seed S] [--tier ${Object.keys(TIERS).join('|')}] [--filter F] [--exclude F] [--list] [--max-failures K] [--quiet] [--shard i/n] [--chain K] [--fpu exact|fast]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { cases: 100, seed: 1, tier: 'reference', filter: undefined, exclude: undefined, list: false, maxFailures: 20, quiet: false, shard: 0, shards: 1, chain: 0, fpu: 'exact' };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const val = (): string => {
      const v = argv[++k];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const num = (): number => {
      const s = val();
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) usage(`${a} takes a whole number, got '${s}'`);
      return n;
    };
    switch (a) {
      case '--cases': o.cases = num(); break;
      case '--seed': o.seed = num(); break;
      case '--tier': o.tier = val(); break;
      case '--filter': o.filter = val(); break;
      case '--exclude': o.exclude = val(); break;
      case '--max-failures': o.maxFailures = num(); break;
      case '--list': o.list = true; break;
      case '--quiet': o.quiet = true; break;
      case '--chain': o.chain = num(); break;
      case '--fpu': {
        const v = val();
        if (v !== 'exact' && v !== 'fast') usage(`--fpu takes exact or fast, got '${v}'`);
        o.fpu = v;
        break;
      }
      case '--shard': {
        const m = /^(\d+)\/(\d+)$/.exec(val());
        if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) usage(`--shard takes i/n with 0 <= i < n`);
        o.shard = Number(m[1]);
        o.shards = Number(m[2]);
        break;
      }
      default: usage(`unknown option '${a}'`);
    }
  }
  if (!TIERS[o.tier]) usage(`unknown tier '${o.tier}' (tiers: ${Object.keys(TIERS).join(', ')})`);
  return o;
}

/** Seed of case k of form f: independent of which other forms are selected. */
function caseSeed(seed: number, formIndex: number, k: number): number {
  return (Math.imul(seed, 0x9e3779b1) ^ Math.imul(formIndex + 1, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35)) >>> 0;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const all = enumerateForms();
  const forms: Array<[Form, number]> = all.map((f, i) => [f, i] as [Form, number]).filter(([f, i]) => formMatches(f, o.filter) && !(o.exclude && formMatches(f, o.exclude)) && i % o.shards === o.shard);
  if (o.list) {
    for (const [f] of forms) console.log(f.id);
    console.log(`${forms.length} forms`);
    return;
  }
  if (forms.length === 0) usage(`no opcode form matches '${o.filter}'`);
  const tier = TIERS[o.tier]!();
  if (tier instanceof ReferenceRunner) tier.cpu.fpu.strategy = o.fpu;
  if (o.chain > 0) return runChains(o, forms.map(([f]) => f), tier);
  const oracle = await NativeOracle.start();
  let passed = 0, failed = 0, printed = 0, outliers = 0;
  const failedForms = new Map<string, number>();
  const started = Date.now();
  const BATCH = 2000;
  try {
    // Cases are generated lazily in batches across forms; the oracle runs one batch while we run the previous one.
    function* allCases(): Generator<{ form: Form; c: OracleCase }> {
      for (const [form, index] of forms) {
        const rng = new Rng(caseSeed(o.seed, index, -1));
        for (let k = 0; k < o.cases; k++) yield { form, c: generateCase(form, rng, caseSeed(o.seed, index, k)) };
      }
    }
    const source = allCases();
    const nextBatch = (): Array<{ form: Form; c: OracleCase }> => {
      const batch: Array<{ form: Form; c: OracleCase }> = [];
      for (let n = 0; n < BATCH; n++) {
        const it = source.next();
        if (it.done) break;
        batch.push(it.value);
      }
      return batch;
    };
    let batch = nextBatch();
    let pending = oracle.run(batch.map((q) => q.c));
    while (batch.length) {
      const cpuResults = await pending;
      const following = nextBatch();
      if (following.length) pending = oracle.run(following.map((q) => q.c));
      for (let k = 0; k < batch.length; k++) {
        const { form, c } = batch[k]!;
        const ours = tier.run(c);
        const diffs = compareResults(c, cpuResults[k]!, ours);
        if (diffs.length === 0) { passed++; continue; }
        if (await nativeOutlier(oracle, c, (cpu) => compareResults(c, cpu, ours))) { passed++; outliers++; continue; }
        failed++;
        failedForms.set(form.id, (failedForms.get(form.id) ?? 0) + 1);
        if (printed < o.maxFailures) {
          printed++;
          console.log(reproducer(form.id, c, diffs));
        }
      }
      batch = following;
    }
  } finally {
    await oracle.close();
  }
  const secs = (Date.now() - started) / 1000;
  if (failedForms.size) {
    console.log(`\nforms with failures (${failedForms.size}):`);
    for (const [id, n] of [...failedForms].sort((a, b) => b[1] - a[1]).slice(0, 50)) console.log(`  ${n}\t${id}`);
  }
  if (outliers) console.log(`${outliers} case(s) whose first native run disagreed with two native re-runs that agreed with us (the host preempted the oracle mid-case)`);
  if (!o.quiet) console.log(`\n${forms.length} forms × ${o.cases} cases, tier ${o.tier}${o.fpu === 'fast' ? ' (fpu fast)' : ''}, seed ${o.seed}, ${secs.toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

/**
 * After a mismatch: run the case natively twice more. The native run is
 * the oracle only if it is repeatable; the host kernel can perturb it (a
 * context switch between two instructions of a case reloads the x87 unit
 * with XRSTOR, which on AMD CPUs leaves FIP/FCS/FOP zero when no exception
 * is pending, and a later FNSTENV stores those). The first run counts as an
 * outlier only when both re-runs agree with us; a real difference of ours
 * shows up in all three runs and still fails.
 */
async function nativeOutlier(oracle: NativeOracle, c: OracleCase, compare: (cpu: OracleResult) => string[]): Promise<boolean> {
  const again = await oracle.run([c, c]);
  return again.every((cpu) => compare(cpu).length === 0);
}

/** `--chain K`: N cases of chained instructions (see chain.ts). */
async function runChains(o: Options, selected: Form[], tier: ReturnType<(typeof TIERS)[string]>): Promise<void> {
  const forms = chainForms(selected);
  if (!forms.length) usage('no chainable form matches the filter');
  const rng = new Rng(caseSeed(o.seed, 0, -2));
  const chains = Array.from({ length: o.cases }, (_, k) => generateChain(forms, o.chain, rng, caseSeed(o.seed, 1, k)));
  const oracle = await NativeOracle.start();
  let passed = 0, failed = 0, outliers = 0;
  try {
    const results = await oracle.run(chains.map((ch) => ch.c));
    for (let k = 0; k < chains.length; k++) {
      const ch = chains[k]!;
      const ours = tier.run(ch.c);
      const diffs = compareChain(ch, results[k]!, ours);
      if (!diffs.length) { passed++; continue; }
      if (await nativeOutlier(oracle, ch.c, (cpu) => compareChain(ch, cpu, ours))) { passed++; outliers++; continue; }
      failed++;
      if (failed <= o.maxFailures) console.log(chainReproducer(ch, diffs));
    }
  } finally {
    await oracle.close();
  }
  if (outliers) console.log(`${outliers} chain(s) whose first native run disagreed with two native re-runs that agreed with us (the host preempted the oracle mid-case)`);
  if (!o.quiet) console.log(`\n${o.cases} chains of up to ${o.chain} instructions over ${forms.length} forms, tier ${o.tier}, seed ${o.seed}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e: unknown) => {
  process.stderr.write(`diff: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(2);
});
