/**
 * `npm run guests`: assemble our bare-metal guests into flat binaries in
 * guests/build/, rebuilding only those whose sources are newer. Each
 * directory under guests/ with a `<name>.S` becomes guests/build/<name>.bin.
 * `--force` rebuilds everything.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildFlatGuest, GUEST_BUILD_DIR, PROJECT_ROOT } from '../src/toolchain.js';

const force = process.argv.includes('--force');
const guestsDir = join(PROJECT_ROOT, 'guests');
let failed = false;
for (const entry of readdirSync(guestsDir, { withFileTypes: true })) {
  if (!entry.isDirectory() || entry.name === 'build') continue;
  const source = join(guestsDir, entry.name, `${entry.name}.S`);
  if (!existsSync(source)) continue;
  const output = join(GUEST_BUILD_DIR, `${entry.name}.bin`);
  try {
    const rebuilt = buildFlatGuest([source], output, force);
    console.log(`${rebuilt ? 'built     ' : 'up to date'} guests/build/${entry.name}.bin`);
  } catch (e) {
    console.error(`error building ${entry.name}: ${(e as Error).message}`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
