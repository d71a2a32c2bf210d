/**
 * Decoder fuzzing: the decoder must never throw, must report a length of
 * 1-15 or #UD/#GP, must be deterministic, and must not look past the
 * length it reports (re-decoding with every later byte changed gives the
 * same instruction).
 */
import { decode } from '../../translator/decoder.js';
import { isFault, type DecodeResult } from '../../translator/table/types.js';
import { Vector } from '../../runtime/exceptions.js';
import { Rng } from '../diff/generate.js';

const PREFIXES = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

/** Random bytes biased toward prefixes, the 0F map and x87 escapes, so all decoder paths are reached. */
export function randomBytes(rng: Rng, out: Uint8Array): void {
  for (let k = 0; k < out.length; k++) out[k] = rng.u32() & 0xff;
  let p = 0;
  const r = rng.int(10);
  if (r < 3) { const n = rng.int(r === 0 ? 16 : 4); for (let k = 0; k < n && p < out.length; k++) out[p++] = rng.pick(PREFIXES); }
  if (rng.chance(0.35) && p < out.length) out[p++] = 0x0f;
}

function summary(r: DecodeResult): string {
  if (isFault(r)) return `fault ${r.fault} len ${r.length}`;
  return `${r.row.mnemonic} ${r.row.opcode} len ${r.length} o${r.opsize} a${r.adsize} lock ${r.lock} rep ${r.rep} seg ${r.segOverride} ${JSON.stringify(r.operands)}`;
}

/** Check one byte string; returns a problem description or null. */
export function checkOne(bytes: Uint8Array, code32: boolean, rng: Rng): string | null {
  let r: DecodeResult;
  try {
    r = decode((i) => bytes[i]!, 0x1000, code32);
  } catch (e) {
    return `decoder threw: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (isFault(r)) {
    if (r.fault !== Vector.UD && r.fault !== Vector.GP) return `unexpected fault vector ${r.fault}`;
    if (r.length < 1 || r.length > 15) return `fault length ${r.length}`;
    return null;
  }
  if (r.length < 1 || r.length > 15) return `length ${r.length}`;
  const changed = bytes.slice();
  for (let k = r.length; k < changed.length; k++) changed[k] = (changed[k]! + 1 + rng.int(255)) & 0xff;
  const again = decode((i) => changed[i]!, 0x1000, code32);
  if (summary(again) !== summary(r)) return `decode depends on bytes past its length ${r.length}: ${summary(r)} vs ${summary(again)}`;
  return null;
}
