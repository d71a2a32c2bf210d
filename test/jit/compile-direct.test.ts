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
import { BRANCH_HINT_SECTION, ByteWriter } from '../../translator/emit/wasm-bytes.js';
import { enumerateForms } from '../diff/forms.js';
import { chainForms, generateChain } from '../diff/chain.js';
import { generateCase, Rng } from '../diff/generate.js';
import { COMPILE_OPTIONS as OPTIONS, regionAt } from './compile-fixture.js';

/** A reader of the parts of a module's bytes these tests look at. */
class Reader {
  k = 0;
  constructor(readonly b: Uint8Array) {}
  u32(): number {
    let v = 0, shift = 0, x: number;
    do { x = this.b[this.k++]!; v += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80);
    return v;
  }
  name(): string {
    const n = this.u32();
    const s = Buffer.from(this.b.subarray(this.k, this.k + n)).toString('latin1');
    this.k += n;
    return s;
  }
}

interface Section { id: number; name: string | null; start: number; end: number; from: number }

/** The sections of a module: id, custom name, the content's extent, and where the section (its id byte) begins. */
function sections(b: Uint8Array): Section[] {
  const r = new Reader(b);
  r.k = 8;
  const out: Section[] = [];
  while (r.k < b.length) {
    const from = r.k;
    const id = b[r.k++]!;
    const size = r.u32();
    const start = r.k;
    const name = id === 0 ? r.name() : null;
    out.push({ id, name, start, end: start + size, from });
    r.k = start + size;
  }
  return out;
}

/** The module without its branch hint section (binaryen writes none). */
function withoutHints(b: Uint8Array): Uint8Array {
  const s = sections(b).find((x) => x.name === BRANCH_HINT_SECTION);
  if (!s) return b;
  return Uint8Array.from([...b.subarray(0, s.from), ...b.subarray(s.end)]);
}

/**
 * The module's branch hints, checked against its code: the section comes
 * before the code section, functions and offsets ascend, and every offset
 * is that of a br_if (0x0d) or an if (0x04) opcode in the function's body
 * (counted from the body's start, its local declarations included).
 * Returns the number of hints.
 */
function checkHints(b: Uint8Array): number {
  const all = sections(b);
  const hintAt = all.findIndex((x) => x.name === BRANCH_HINT_SECTION);
  if (hintAt < 0) return 0;
  const codeAt = all.findIndex((x) => x.id === 10);
  expect(hintAt).toBeLessThan(codeAt);
  // Function imports come before the module's own functions in the index space.
  let imported = 0;
  const imports = all.find((x) => x.id === 2);
  if (imports) {
    const r = new Reader(b);
    r.k = imports.start;
    for (let n = r.u32(); n > 0; n--) {
      r.name(); r.name();
      const kind = b[r.k++]!;
      if (kind === 0) { imported++; r.u32(); } else if (kind === 1) { r.k++; const f = b[r.k++]!; r.u32(); if (f & 1) r.u32(); } else if (kind === 2) { const f = b[r.k++]!; r.u32(); if (f & 1) r.u32(); } else { r.k += 2; }
    }
  }
  const bodies: Array<[number, number]> = [];
  const code = new Reader(b);
  code.k = all[codeAt]!.start;
  for (let n = code.u32(); n > 0; n--) {
    const size = code.u32();
    bodies.push([code.k, code.k + size]);
    code.k += size;
  }
  const r = new Reader(b);
  r.k = all[hintAt]!.start;
  r.name();
  let count = 0, lastFunc = -1;
  for (let n = r.u32(); n > 0; n--) {
    const func = r.u32();
    expect(func).toBeGreaterThan(lastFunc);
    lastFunc = func;
    const [start, end] = bodies[func - imported]!;
    let lastOff = -1;
    for (let h = r.u32(); h > 0; h--) {
      const off = r.u32();
      expect(r.u32()).toBe(1);
      expect([0, 1]).toContain(b[r.k++]);
      expect(off).toBeGreaterThan(lastOff);
      lastOff = off;
      expect(start + off).toBeLessThan(end);
      expect([0x0d, 0x04]).toContain(b[start + off]);
      count++;
    }
  }
  expect(r.k).toBe(all[hintAt]!.end);
  return count;
}

/** Branch hints seen over a test's regions. */
let hintsSeen = 0;

/** The bytes of both encoders for one region (null when the region cannot be translated). */
function both(region: Region, code32: boolean): { direct: Uint8Array; binaryen: Uint8Array } | null {
  const o: CompileOptions = { ...OPTIONS, mode: { ...OPTIONS.mode, code32, stack32: code32 } };
  try {
    return { direct: compileRegion(region, { ...o, encoder: 'direct', coalesceLocals: false }).binary, binaryen: compileRegion(region, { ...o, encoder: 'binaryen' }).binary };
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
  hintsSeen += checkHints(r.direct);
  if (!Buffer.from(withoutHints(r.direct)).equals(Buffer.from(r.binaryen))) {
    throw new Error(`${what}: the encoders differ (${r.direct.length} vs ${r.binaryen.length} bytes) for ${bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
  }
  return true;
}

describe('baseline encoder', () => {
  it('writes branch hints for the br_ifs and ifs marked rarely taken, before the code section', async () => {
    const { WasmModule } = await import('../../translator/emit/wasm.js');
    const mod = new WasmModule(1, 'direct');
    try {
      mod.beginFunction(1);
      const x = mod.newLocal();
      mod.endFunction('f', mod.block([
        mod.named('out', [
          mod.brUnlikely('out', mod.m.i32.eq(mod.get(0), mod.k(7))),
          mod.set(x, mod.k(5)),
          mod.ifUnlikely(mod.m.i32.eq(mod.get(0), mod.k(3)), mod.set(x, mod.k(6))),
          mod.br('out', mod.get(x)),
        ]),
        mod.get(x),
      ], true), true);
      const bytes = mod.finish(0);
      expect(checkHints(bytes)).toBe(2);
      const f = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1 }) } }).exports.f as (a: number) => number;
      expect([f(7), f(3), f(1)]).toEqual([0, 6, 5]);
    } finally {
      mod.dispose();
    }
  });

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
    // Memory accesses' slow paths and the exits are hinted (the same bytes as binaryen's otherwise).
    expect(hintsSeen).toBeGreaterThan(compared);
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
