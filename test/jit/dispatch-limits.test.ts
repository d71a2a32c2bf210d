/**
 * Region limits as a strategy (JitStrategy.regionLimits): a strategy may
 * cap the blocks of a region below region.ts DEFAULT_LIMITS (smaller Wasm
 * functions, which V8's optimising tier compiles sooner), the job carries
 * the cap to whichever thread compiles it, and the guest computes the same
 * with more, smaller regions linked through the dispatcher.
 *
 *   npx vitest run test/jit/dispatch-limits.test.ts
 */
import { describe, expect, it } from 'vitest';
import { type CompileJob, JitTier, type JitStrategy, translateJob } from '../../runtime/jit/jit.js';
import { JIT_STRATEGIES } from '../../runtime/jit/strategies.js';
import { DEFAULT_LIMITS } from '../../translator/emit/region.js';
import { hostLayout } from '../../runtime/host-area.js';
import { Seg } from '../../translator/table/types.js';
import { createMachine } from '../../src/machine.js';
import { loadFlat } from '../../src/loaders/flat.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { BUDGET_EXHAUSTED } from '../../runtime/interpreter.js';

const BASE = 0x100000;
const CHAIN = 40;
const ROUNDS = 100;

/** mov ecx, ROUNDS; L: CHAIN x (inc eax; jmp $+2); loop L; hlt: CHAIN + 1 blocks in one loop. */
function chainCode(): number[] {
  const body: number[] = [];
  for (let k = 0; k < CHAIN; k++) body.push(0x40, 0xeb, 0x00);
  const back = -(body.length + 2);
  return [0xb9, ROUNDS, 0, 0, 0, ...body, 0xe2, back & 0xff, 0xf4];
}

function jobFor(code: readonly number[], limits?: CompileJob['limits']): CompileJob {
  const layout = hostLayout(2 * 1024 * 1024);
  const bytes = new Uint8Array(4096);
  bytes.set(code);
  return {
    key: 0, pa: BASE, page: BASE >>> 12, pageLin: BASE, bytes, csBase: 0, csLimit: 0xffffffff, eip: BASE, linked: [],
    ...(limits ? { limits } : {}),
    options: {
      memoryPages: Math.ceil(layout.end / 65536), stateBase: layout.state, tlbBase: layout.tlb,
      mode: { code32: true, stack32: true, cpl: 0, protectedMode: true, v86: false },
      flatSegments: (1 << Seg.ES) | (1 << Seg.SS) | (1 << Seg.DS) | (1 << Seg.FS) | (1 << Seg.GS), csLimit: 0xffffffff, optimize: 0,
    },
  };
}

/** Run the chain to its HLT under a strategy; returns EAX and the JIT's compilations. */
function runChain(strategy: JitStrategy): { eax: number; compiles: number } {
  const machine = createMachine({ memoryMiB: 4, tier: 'interpreter' });
  const jit = new JitTier(machine.interpreter, strategy);
  loadFlat(machine, Uint8Array.from(chainCode()));
  machine.cpu.regs[0] = 0;
  for (let n = 0; n < 1000; n++) {
    const exit = jit.run(10_000);
    if (exit.reason === BUDGET_EXHAUSTED) continue;
    expect(exit.reason).toBe(ExitReason.Hlt);
    return { eax: machine.cpu.regs[0]! >>> 0, compiles: jit.stats.compiles };
  }
  throw new Error('the chain did not halt');
}

describe('region limits (JitStrategy.regionLimits)', () => {
  it('a job with limits forms a region of at most that many blocks; without, the default', () => {
    const whole = translateJob(jobFor(chainCode()))!;
    expect(whole.blocks.length).toBe(CHAIN + 2);
    expect(CHAIN + 2).toBeLessThanOrEqual(DEFAULT_LIMITS.maxBlocks);
    const capped = translateJob(jobFor(chainCode(), { ...DEFAULT_LIMITS, maxBlocks: 8 }))!;
    expect(capped.blocks.length).toBe(8);
    expect(capped.binary.length).toBeLessThan(whole.binary.length);
  });

  it('the JIT compiles with its strategy\'s limits, and the guest computes the same', () => {
    const eager = JIT_STRATEGIES['jit-eager']!;
    const big = runChain(eager);
    const small = runChain({ ...eager, name: 'jit-eager-8', regionLimits: { ...DEFAULT_LIMITS, maxBlocks: 8 } });
    expect(big.eax).toBe(CHAIN * ROUNDS);
    expect(small.eax).toBe(CHAIN * ROUNDS);
    // The loop of CHAIN + 1 blocks takes at least ceil((CHAIN + 1) / 8) regions.
    expect(small.compiles).toBeGreaterThanOrEqual(Math.ceil((CHAIN + 1) / 8));
    expect(small.compiles).toBeGreaterThan(big.compiles);
  });
});
