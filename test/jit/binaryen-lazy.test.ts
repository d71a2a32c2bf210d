/**
 * binaryen.js is loaded on demand (translator/emit/binaryen-lib.ts): a
 * machine on the default strategy compiles and runs translated code
 * without it, a strategy that builds modules with binaryen says so when it
 * was not loaded, and prepareStrategy() loads it for such a strategy. In a
 * fresh node (the test files have it loaded by test/setup.ts), on the
 * built JavaScript.
 *
 *   npx vitest run test/jit/binaryen-lazy.test.ts
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/project-root.js';

const dist = (path: string): string => JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'dist', path)).href);

/** The script: mov ecx, 1000; L: inc eax; inc eax; loop L; hlt, on jit-inline, then the O2 strategy before and after prepareStrategy. */
const SCRIPT = `
import { createMachine } from ${dist('src/machine.js')};
import { JitTier } from ${dist('runtime/jit/jit.js')};
import { JIT_STRATEGIES, prepareStrategy } from ${dist('runtime/jit/strategies.js')};
import { loadFlat } from ${dist('src/loaders/flat.js')};
import { binaryenLoaded } from ${dist('translator/emit/binaryen-lib.js')};
const m = createMachine({ memoryMiB: 4, tier: 'interpreter' });
const jit = new JitTier(m.interpreter, JIT_STRATEGIES['jit-inline']);
loadFlat(m, Uint8Array.from([0xb9, 0xe8, 0x03, 0, 0, 0x40, 0x40, 0xe2, 0xfc, 0xf4]));
m.cpu.regs[0] = 0;
for (let n = 0; n < 1000; n++) if (jit.run(10000).reason !== -1) break;
const afterRun = binaryenLoaded();
let refused = '';
try { new JitTier(m.interpreter, JIT_STRATEGIES['jit-hot-O2']); } catch (e) { refused = e.message; }
await prepareStrategy('jit-inline');
const afterDefault = binaryenLoaded();
await prepareStrategy('jit-hot-O2');
new JitTier(m.interpreter, JIT_STRATEGIES['jit-hot-O2']);
console.log(JSON.stringify({ eax: m.cpu.regs[0], compiles: jit.stats.compiles, afterRun, refused, afterDefault, afterO2: binaryenLoaded() }));
`;

describe('binaryen.js on demand', () => {
  it('the default strategy compiles without it; an optimising one needs prepareStrategy', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(r['eax']).toBe(2000);
    expect(r['compiles']).toBeGreaterThan(0);
    expect(r['afterRun']).toBe(false);
    expect(r['refused']).toMatch(/binaryen\.js is not loaded: await loadBinaryen\(\)/);
    expect(r['afterDefault']).toBe(false);
    expect(r['afterO2']).toBe(true);
  });
});
