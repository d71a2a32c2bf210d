/**
 * The fixed set-up of the tests that compile regions from raw guest bytes
 * (golden.test.ts, compile-direct.test.ts): the bytes sit at BASE, and the
 * options are those of a 2 MiB machine's host layout (the state block and
 * TLB addresses appear in the golden text), flat segments, optimiser off.
 */
import type { CompileOptions } from '../../translator/emit/compile.js';
import { formRegion, type Region } from '../../translator/emit/region.js';
import { Seg } from '../../translator/table/types.js';
import { hostLayout } from '../../runtime/host-area.js';

/** Where the bytes are placed: the flat loader's entry point. */
export const BASE = 0x100000;
/** Guest RAM the fixed layout is computed for. */
const RAM_BYTES = 2 * 1024 * 1024;

const layout = hostLayout(RAM_BYTES);
export const COMPILE_OPTIONS: CompileOptions = {
  memoryPages: Math.ceil(layout.end / 65536),
  stateBase: layout.state,
  tlbBase: layout.tlb,
  mode: { code32: true, stack32: true, cpl: 0, protectedMode: true, v86: false },
  flatSegments: (1 << Seg.ES) | (1 << Seg.SS) | (1 << Seg.DS) | (1 << Seg.FS) | (1 << Seg.GS),
  csLimit: 0xffffffff,
  optimize: 0,
};

/** The region formed from `bytes` at BASE; bytes outside them read as "not on this page", so it stops there. */
export function regionAt(bytes: readonly number[], code32: boolean): Region | null {
  return formRegion((eip) => {
    const k = eip - BASE;
    return k >= 0 && k < bytes.length ? bytes[k]! : -1;
  }, BASE, code32);
}
