/**
 * Guest physical memory: one WebAssembly.Memory (so translated code can
 * import it), plus access helpers. Accesses beyond RAM go to the MMIO bus
 * (`mmio`: the APICs, ROM, device BARs) whole, at their width; without a
 * bus they read as all-ones (open bus) and writes there are dropped: a
 * guest can never touch host memory outside its own RAM. Physical addresses are numbers
 * that may exceed 32 bits (PAE's 36-bit addresses): all of those are
 * beyond RAM.
 *
 * Writes are watched per page for two clients: pages holding code (the
 * decode cache and the JIT, `codePages`/`onWrite`) and pages holding paging
 * structures that shadow paging write-protects (`pageTablePages`/
 * `onPageTableWrite`, runtime/paging/shadow.ts).
 */

import { hostLayout, type HostLayout, TLB_ENTRIES } from './host-area.js';
import type { MmioBus } from './mmio-bus.js';

const WASM_PAGE = 65536;

export class PhysicalMemory {
  readonly memory: WebAssembly.Memory;
  readonly size: number;
  readonly u8: Uint8Array;
  private readonly view: DataView;
  /** Called after a write to a page that holds code, with the physical address and length written (SMC). */
  onWrite: ((pa: number, len: number) => void) | null = null;
  /** Pages (physical page number) that hold decoded or translated code. */
  readonly codePages: Uint8Array;
  /** Called after a write to a page in `pageTablePages`, with the physical address and length written. */
  onPageTableWrite: ((pa: number, len: number) => void) | null = null;
  /** Pages (physical page number) holding paging structures that shadow translations were derived from. */
  readonly pageTablePages: Uint8Array;
  /** Devices mapped above RAM; null: nothing answers there (open bus). */
  mmio: MmioBus | null = null;
  /** Where CPU state, the TLB and the code hash table live (after RAM). */
  readonly host: HostLayout;
  /** The TLB, in the host area (runtime/mmu.ts gives the entry format). */
  readonly tlb: Int32Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0 || size > 0xc000_0000 || size % 4096 !== 0) {
      throw new RangeError(`guest memory size must be a positive multiple of 4 KiB up to 3 GiB, got ${size}`);
    }
    this.host = hostLayout(size);
    const pages = Math.ceil(this.host.end / WASM_PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.size = size;
    this.tlb = new Int32Array(this.memory.buffer, this.host.tlb, TLB_ENTRIES);
    this.u8 = new Uint8Array(this.memory.buffer, 0, size);
    this.view = new DataView(this.memory.buffer, 0, size);
    this.codePages = new Uint8Array(size >>> 12);
    this.pageTablePages = new Uint8Array(size >>> 12);
  }

  read8(pa: number): number {
    if (pa < this.size) return this.u8[pa]!;
    return this.mmio ? this.mmio.read(pa, 1) : 0xff;
  }

  read16(pa: number): number {
    // A device sees the access at its width, never split into bytes.
    if (pa >= this.size && this.mmio) return this.mmio.read(pa, 2);
    if (pa + 1 < this.size) return this.view.getUint16(pa, true);
    return this.read8(pa) | (this.read8(pa + 1) << 8);
  }

  read32(pa: number): number {
    if (pa >= this.size && this.mmio) return this.mmio.read(pa, 4) | 0;
    if (pa + 3 < this.size) return this.view.getInt32(pa, true);
    return (this.read16(pa) | (this.read16(pa + 2) << 16)) | 0;
  }

  write8(pa: number, v: number): void {
    if (pa >= this.size) {
      this.mmio?.write(pa, 1, v & 0xff);
      return;
    }
    this.u8[pa] = v;
    if (this.codePages[pa >>> 12]) this.onWrite?.(pa, 1);
    if (this.pageTablePages[pa >>> 12]) this.onPageTableWrite?.(pa, 1);
  }

  write16(pa: number, v: number): void {
    if (pa >= this.size && this.mmio) {
      this.mmio.write(pa, 2, v & 0xffff);
      return;
    }
    if (pa + 1 < this.size && (pa & 0xfff) !== 0xfff) {
      this.view.setUint16(pa, v & 0xffff, true);
      if (this.codePages[pa >>> 12]) this.onWrite?.(pa, 2);
      if (this.pageTablePages[pa >>> 12]) this.onPageTableWrite?.(pa, 2);
      return;
    }
    this.write8(pa, v & 0xff);
    this.write8(pa + 1, (v >>> 8) & 0xff);
  }

  write32(pa: number, v: number): void {
    if (pa >= this.size && this.mmio) {
      this.mmio.write(pa, 4, v | 0);
      return;
    }
    if (pa + 3 < this.size && (pa & 0xfff) <= 0xffc) {
      this.view.setInt32(pa, v, true);
      if (this.codePages[pa >>> 12]) this.onWrite?.(pa, 4);
      if (this.pageTablePages[pa >>> 12]) this.onPageTableWrite?.(pa, 4);
      return;
    }
    this.write16(pa, v & 0xffff);
    this.write16(pa + 2, v >>> 16);
  }

  /**
   * The page walk's own update of an entry's accessed and dirty flags (a
   * naturally aligned dword): code watchers see it, the paging structures'
   * watcher does not, as setting A or D never makes a translation derived
   * from the entry wrong (one made while D was clear only sends writes to
   * the slow path, which walks again).
   */
  writeWalk32(pa: number, v: number): void {
    if (pa + 3 >= this.size) return;
    this.view.setInt32(pa, v, true);
    if (this.codePages[pa >>> 12]) this.onWrite?.(pa, 4);
  }

  /** Copy bytes in (loaders, DMA): goes through the same write tracking. */
  load(pa: number, bytes: Uint8Array): void {
    if (pa < 0 || pa + bytes.length > this.size) {
      throw new RangeError(`image of ${bytes.length} bytes at ${pa.toString(16)} does not fit in ${this.size} bytes of RAM`);
    }
    this.u8.set(bytes, pa);
    for (let p = pa >>> 12; p <= (pa + bytes.length - 1) >>> 12; p++) {
      if (!this.codePages[p] && !this.pageTablePages[p]) continue;
      // Multiplied, not shifted: frames above 2 GiB would turn negative as int32.
      const from = Math.max(pa, p * 4096);
      const to = Math.min(pa + bytes.length, (p + 1) * 4096);
      if (this.codePages[p]) this.onWrite?.(from, to - from);
      if (this.pageTablePages[p]) this.onPageTableWrite?.(from, to - from);
    }
  }
}
