/**
 * `npm run fuzz -- [--count N] [--seed S]`: random byte strings through the
 * decoder in 16- and 32-bit code; ends with `N passed, N failed`.
 */
import { Rng } from '../diff/generate.js';
import { checkOne, randomBytes } from './decoder-fuzz.js';

function main(): void {
  const args = process.argv.slice(2);
  let count = 100_000, seed = 1;
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    const v = Number(args[++k]);
    if (!Number.isInteger(v) || v < 0) { process.stderr.write(`fuzz: ${a} takes a whole number\nusage: npm run fuzz -- [--count N] [--seed S]\n`); process.exit(2); }
    if (a === '--count') count = v;
    else if (a === '--seed') seed = v;
    else { process.stderr.write(`fuzz: unknown option '${a}'\n`); process.exit(2); }
  }
  const rng = new Rng(seed);
  const bytes = new Uint8Array(20);
  let passed = 0, failed = 0;
  const started = Date.now();
  for (let n = 0; n < count; n++) {
    randomBytes(rng, bytes);
    const code32 = (n & 1) === 0;
    const problem = checkOne(bytes, code32, rng);
    if (problem === null) { passed++; continue; }
    failed++;
    if (failed <= 20) console.log(`FAIL ${code32 ? 'code32' : 'code16'} ${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')}: ${problem}`);
  }
  console.log(`${count} byte strings, seed ${seed}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main();
