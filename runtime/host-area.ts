/**
 * The host area: memory after guest RAM in the same WebAssembly.Memory,
 * which translated code reads and writes but guest accesses can never
 * reach (they are bounded by the RAM size). Node 20's V8 has no Wasm
 * multi-memory, so CPU state, the TLB and the code hash table live here.
 */
import { STATE_BYTES } from './cpu.js';

/** Entries of the TLB: one per 4 KiB linear page. */
export const TLB_ENTRIES = 1 << 20;
/** Slots of the code hash table (power of two), each two i32s: key, function index. */
export const CODE_HASH_SLOTS = 1 << 16;

export interface HostLayout {
  /** Byte offset of the host area (the first 64 KiB boundary at or after RAM). */
  readonly base: number;
  readonly state: number;
  readonly tlb: number;
  readonly codeHash: number;
  readonly end: number;
}

export function hostLayout(ramSize: number): HostLayout {
  const base = Math.ceil(ramSize / 65536) * 65536;
  const state = base;
  const tlb = base + Math.max(4096, STATE_BYTES);
  const codeHash = tlb + TLB_ENTRIES * 4;
  const end = codeHash + CODE_HASH_SLOTS * 8;
  return { base, state, tlb, codeHash, end };
}
