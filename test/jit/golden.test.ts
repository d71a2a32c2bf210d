/**
 * Golden snapshots of emitted Wasm: representative guest blocks go through
 * formRegion + compileRegion with fixed options (binaryen optimiser off),
 * and the module's wabt text must equal test/jit/golden/NAME.wat. A change
 * to the emitter shows up here as a diff to review.
 *
 * To accept new output, regenerate the files and review the diff:
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/jit/golden.test.ts
 *
 * Each module must also pass WebAssembly.validate in this Node's engine.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRegion, type CompileOptions } from '../../translator/emit/compile.js';
import { Seg } from '../../translator/table/types.js';
import { wasmToText } from '../../src/wasm-text.js';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { BASE, COMPILE_OPTIONS as OPTIONS, regionAt } from './compile-fixture.js';

const GOLDEN_DIR = join(PROJECT_ROOT, 'test', 'jit', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface GoldenCase {
  readonly name: string;
  readonly what: string;
  /** Guest bytes at BASE; bytes outside them read as "not on this page", so the region stops there. */
  readonly bytes: readonly number[];
  /** EIPs of the blocks the region must hold. */
  readonly blocks: readonly number[];
  /** Options other than the fixture's. */
  readonly options?: Partial<CompileOptions>;
}

const CASES: readonly GoldenCase[] = [
  {
    name: 'alu-flags-jcc',
    what: 'SUB whose CF is consumed by a JB in the same block',
    // sub eax, ebx; jb +0x10
    bytes: [0x29, 0xd8, 0x72, 0x10],
    blocks: [BASE],
  },
  {
    name: 'load-store',
    what: 'a load and a store through the inline TLB fast path, with slow paths into the runtime',
    // mov eax, [ebx]; mov [ecx+4], eax; jmp +0x10
    bytes: [0x8b, 0x03, 0x89, 0x41, 0x04, 0xeb, 0x10],
    blocks: [BASE],
  },
  {
    name: 'rep-movsb',
    what: 'REP MOVSB: one iteration per pass of a block that branches back to itself',
    // rep movsb
    bytes: [0xf3, 0xa4],
    blocks: [BASE],
  },
  {
    name: 'div-de',
    what: 'DIV ECX, which raises #DE on a zero divisor or a quotient that does not fit',
    // div ecx; jmp +0x10
    bytes: [0xf7, 0xf1, 0xeb, 0x10],
    blocks: [BASE],
  },
  {
    name: 'loop-region',
    what: 'a counted loop: a block that branches back to itself and the block after it, in one region',
    // 0: add eax, ecx; dec ecx; jnz 0; ret
    bytes: [0x01, 0xc8, 0x49, 0x75, 0xfb, 0xc3],
    blocks: [BASE, BASE + 5],
  },
  {
    name: 'push-pop-loop',
    what: 'PUSH then POP in a loop: the POP tests at run time that ESP is still in the page the PUSH looked up, and takes its entry',
    // 0: push eax; pop ecx; dec edx; jnz 0; ret
    bytes: [0x50, 0x59, 0x4a, 0x75, 0xfb, 0xc3],
    blocks: [BASE, BASE + 5],
  },
  {
    name: 'x87-load-store',
    what: 'FLD m64fp and FSTP m64fp inline on the x87 state block (translator/semantics/x87.ts), with the helper for anything else',
    // fld qword [ebx]; fstp qword [ecx]; jmp +0x10
    bytes: [0xdd, 0x03, 0xdd, 0x19, 0xeb, 0x10],
    blocks: [BASE],
  },
  {
    name: 'gs-based-load',
    what: 'a load through GS, not flat: when the state block says it spans 4 GiB, its base plus the offset, through the inline TLB',
    // mov eax, gs:[0x14]; jmp +0x10
    bytes: [0x65, 0xa1, 0x14, 0x00, 0x00, 0x00, 0xeb, 0x10],
    blocks: [BASE],
    options: { flatSegments: OPTIONS.flatSegments & ~(1 << Seg.GS) },
  },
];

function compileCase(c: GoldenCase): Uint8Array {
  const region = regionAt(c.bytes, true);
  expect(region, 'region formed').not.toBeNull();
  expect([...region!.blocks.keys()].sort((a, b) => a - b)).toEqual(c.blocks);
  return compileRegion(region!, { ...OPTIONS, ...c.options }).binary;
}

describe('golden Wasm text of emitted blocks', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.what}`, async () => {
      const binary = compileCase(c);
      expect(WebAssembly.validate(binary as Uint8Array<ArrayBuffer>), 'WebAssembly.validate').toBe(true);
      const bytes = c.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
      const text = `;; ${c.name}: ${c.what}\n;; guest bytes at ${BASE.toString(16)}: ${bytes}\n${await wasmToText(binary)}`;
      const file = join(GOLDEN_DIR, `${c.name}.wat`);
      if (UPDATE) {
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, text);
        return;
      }
      if (!existsSync(file)) throw new Error(`no golden file ${file}: run UPDATE_GOLDEN=1 npx vitest run test/jit/golden.test.ts`);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('the same region compiles to the same bytes every time', () => {
    const c = CASES[CASES.length - 1]!;
    expect(compileCase(c)).toEqual(compileCase(c));
  });
});
