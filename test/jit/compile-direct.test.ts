/**
 * The baseline encoder (translator/emit/wasm-bytes.ts) against binaryen:
 * at -O0 both must write the same bytes for the same region, so the
 * golden texts, the differential suite's results and everything learnt
 * from binaryen's output hold for the encoder that runs. Regions come
 * from every instruction form of the differential suite (one random case
 * each, in its mode), from chains of them with block-ending jumps, and
 * from loops around them (backward branches, entries, copies).
 */
import { describe, expect, it } from 'vitest';
import { compileRegion, type CompileOptions, encoderFor, Untranslatable } from '../../translator/emit/compile.js';
import type { Region } from '../../translator/emit/region.js';
import { ByteWriter } from '../../translator/emit/wasm-bytes.js';
import { enumerateForms } from '../diff/forms.js';
import { chainForms, generateChain } from '../diff/chain.js';
import { generateCase, Rng } from '../diff/generate.js';
import { COMPILE_OPTIONS as OPTIONS, regionAt } from './compile-fixture.js';

/** The bytes of both encoders for one region (null when the region cannot be translated). */
function both(region: Region, code32: boolean): { direct: Uint8Array; binaryen: Uint8Array } | null {
  const o: CompileOptions = { ...OPTIONS, mode: { ...OPTIONS.mode, code32, stack32: code32 } };
  try {
    return { direct: compileRegion(region, { ...o, encoder: 'direct' }).binary, binaryen: compileRegion(region, { ...o, encoder: 'binaryen' }).binary };
  } catch (e) {
    if (e instanceof Untranslatable) return null;
    throw e;
  }
}

function expectSame(bytes: readonly number[], code32: boolean, what: string): boolean {
  const region = regionAt(bytes, code32);
  if (!region) return false;
  const r = both(region, code32);
  if (!r) return false;
  if (!Buffer.from(r.direct).equals(Buffer.from(r.binaryen))) {
    throw new Error(`${what}: the encoders differ (${r.direct.length} vs ${r.binaryen.length} bytes) for ${bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
  }
  return true;
}

describe('baseline encoder', () => {
  it('is the encoder of level 0 without text; binaryen writes optimised modules and text', () => {
    expect(encoderFor(OPTIONS)).toBe('direct');
    expect(encoderFor({ ...OPTIONS, optimize: 2 })).toBe('binaryen');
    expect(encoderFor({ ...OPTIONS, wantText: true })).toBe('binaryen');
    expect(encoderFor({ ...OPTIONS, encoder: 'binaryen' })).toBe('binaryen');
  });

  it('writes LEB128 as the format says', () => {
    const w = new ByteWriter();
    w.s32(-1); w.s32(63); w.s32(64); w.s32(-64); w.s32(-65); w.s32(0x7fffffff); w.s32(-0x80000000);
    w.u32(0xffffffff); w.s64(-1n); w.s64(1n << 62n);
    expect([...w.result()]).toEqual([
      0x7f, 0x3f, 0xc0, 0x00, 0x40, 0xbf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x07, 0x80, 0x80, 0x80, 0x80, 0x78,
      0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0xc0, 0x00,
    ]);
  });

  it('writes the bytes binaryen writes for one case of every instruction form', () => {
    const rng = new Rng(7);
    let compared = 0;
    for (const form of enumerateForms()) {
      const c = generateCase(form, rng, 7);
      // The instruction, then a RET so the region ends in this page.
      if (expectSame([...c.code, 0xc3], c.mode === 32, form.id)) compared++;
    }
    expect(compared).toBeGreaterThan(500);
  });

  it('writes the bytes binaryen writes for chains and loops', () => {
    const rng = new Rng(11);
    const forms = chainForms(enumerateForms());
    let compared = 0;
    for (let n = 0; n < 150; n++) {
      const ch = generateChain(forms, 8, rng, n);
      const code = [...ch.c.code];
      const code32 = ch.c.mode === 32;
      if (expectSame([...code, 0xc3], code32, `chain ${n}`)) compared++;
      // A loop around the chain: DEC ECX; JNZ back to the start; then a call into the loop and RET.
      const back = -(code.length + 3);
      const loop = [...code, 0x49, 0x75, back & 0xff, 0xe8, 0, 0, 0, 0, 0xc3];
      if (expectSame(loop, code32, `loop ${n}`)) compared++;
    }
    expect(compared).toBeGreaterThan(200);
  });
});
