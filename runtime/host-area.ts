/**
 * The host area: memory after guest RAM in the same WebAssembly.Memory,
 * which translated code reads and writes but guest accesses can never
 * reach (they are bounded by the RAM size). Node 20's V8 has no Wasm
 * multi-memory, so CPU state, the TLB and the code hash table live here.
 */
import { CPU_BLOCK_BYTES } from './cpu.js';

/** Entries of the TLB: one per 4 KiB linear page. */
export const TLB_ENTRIES = 1 << 20;
/**
 * Slots of the code hash table (power of two), 16 bytes each: physical
 * address of the entry, mode bits (CODE_HASH_EMPTY / CODE_HASH_DELETED when
 * unused), the module's function-table index shifted left by
 * CODE_HASH_ENTRY_BITS with the entry's number (the argument of the
 * module's run function) in the low bits, the entry's EIP (a translation
 * is only good at the virtual address it was made for). Linear probing.
 */
export const CODE_HASH_SLOTS = 1 << 16;
export const CODE_HASH_SLOT_BYTES = 16;
/** Bits of a slot's third word that number the entry of the module (entries past 1023 are not in the table; the module's table index has the 22 bits above). */
export const CODE_HASH_ENTRY_BITS = 10;
export const CODE_HASH_EMPTY = -1;
export const CODE_HASH_DELETED = -2;
/** Slots the dispatcher probes before it gives up (and asks the runtime). */
export const CODE_HASH_PROBES = 8;

/**
 * Slot where probing for (linear EIP, mode) starts. The dispatcher hashes
 * the linear address, not the physical one, so that its TLB lookup (which
 * only validates the slot's physical address) is off the path to the
 * slot's load.
 */
export function codeHashStart(lin: number, mode: number): number {
  return (Math.imul((lin >>> 0) ^ Math.imul(mode, 0x9e3779b1), 0x85ebca6b) >>> 16) & (CODE_HASH_SLOTS - 1);
}

export interface HostLayout {
  /** Byte offset of the host area (the first 64 KiB boundary at or after RAM). */
  readonly base: number;
  /** The CPU's block: its state block, then its x87 unit's (runtime/cpu.ts CPU_BLOCK_BYTES). */
  readonly state: number;
  readonly tlb: number;
  readonly codeHash: number;
  readonly end: number;
}

export function hostLayout(ramSize: number): HostLayout {
  const base = Math.ceil(ramSize / 65536) * 65536;
  const state = base;
  const tlb = base + Math.max(4096, CPU_BLOCK_BYTES);
  const codeHash = tlb + TLB_ENTRIES * 4;
  const end = codeHash + CODE_HASH_SLOTS * CODE_HASH_SLOT_BYTES;
  return { base, state, tlb, codeHash, end };
}
