/**
 * The concrete backend: `Backend<number>` over a CpuState, physical memory
 * and the MMU. The reference tier evaluates instruction semantics through
 * it; values are canonical int32 JS numbers.
 */
import type { Arith, Backend, ModeInfo } from '../translator/semantics/backend.js';
import { Flag, FlagOp, FpuPart, type FpuWord } from '../translator/semantics/backend.js';
import { conditionFromFlags, flagsDefinedBy, lazyFlag, lazyFlagsWord } from '../translator/semantics/flags.js';
import { type Instruction, Seg, type Size } from '../translator/table/types.js';
import { CR0_EM, CR0_TS, type CpuState, type SegmentCache } from './cpu.js';
import { GuestFault, Vector } from './exceptions.js';
import type { PhysicalMemory } from './memory.js';
import { Access, type Mmu } from './mmu.js';
import { HELPERS } from './helpers.js';
import { loadSegmentRegister } from './system/segments.js';

/** Pure int32 arithmetic on JS numbers. */
export class ConcreteArith implements Arith<number> {
  k(n: number): number { return n | 0; }
  add(a: number, b: number): number { return (a + b) | 0; }
  sub(a: number, b: number): number { return (a - b) | 0; }
  mul(a: number, b: number): number { return Math.imul(a, b); }
  and(a: number, b: number): number { return a & b; }
  or(a: number, b: number): number { return a | b; }
  xor(a: number, b: number): number { return a ^ b; }
  not(a: number): number { return ~a; }
  neg(a: number): number { return -a | 0; }
  shl(a: number, n: number): number { return a << n; }
  shrU(a: number, n: number): number { return (a >>> n) | 0; }
  shrS(a: number, n: number): number { return a >> n; }
  rotl(a: number, n: number): number { n &= 31; return (a << n) | (a >>> (32 - n)); }
  rotr(a: number, n: number): number { n &= 31; return (a >>> n) | (a << (32 - n)); }
  eq(a: number, b: number): number { return (a | 0) === (b | 0) ? 1 : 0; }
  ne(a: number, b: number): number { return (a | 0) !== (b | 0) ? 1 : 0; }
  ltU(a: number, b: number): number { return a >>> 0 < b >>> 0 ? 1 : 0; }
  ltS(a: number, b: number): number { return (a | 0) < (b | 0) ? 1 : 0; }
  leU(a: number, b: number): number { return a >>> 0 <= b >>> 0 ? 1 : 0; }
  leS(a: number, b: number): number { return (a | 0) <= (b | 0) ? 1 : 0; }
  eqz(a: number): number { return a === 0 ? 1 : 0; }
  select(c: number, a: number, b: number): number { return c ? a : b; }
  zx(a: number, size: Size): number { return size === 1 ? a & 0xff : size === 2 ? a & 0xffff : a | 0; }
  sx(a: number, size: Size): number { return size === 1 ? (a << 24) >> 24 : size === 2 ? (a << 16) >> 16 : a | 0; }
  clz(a: number): number { return Math.clz32(a); }
  ctz(a: number): number { return a === 0 ? 32 : 31 - Math.clz32(a & -a); }
  popcnt(a: number): number {
    a = a - ((a >>> 1) & 0x55555555);
    a = (a & 0x33333333) + ((a >>> 2) & 0x33333333);
    return (Math.imul((a + (a >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
  }
  bswap(a: number): number {
    return ((a >>> 24) | ((a >>> 8) & 0xff00) | ((a & 0xff00) << 8) | (a << 24)) | 0;
  }
  mulWide(a: number, b: number, signed: boolean): { lo: number; hi: number } {
    const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
    const p0 = al * bl, p1 = al * bh, p2 = ah * bl, p3 = ah * bh;
    const mid = (p0 >>> 16) + (p1 & 0xffff) + (p2 & 0xffff);
    let hi = (p3 + Math.floor(p1 / 65536) + Math.floor(p2 / 65536) + Math.floor(mid / 65536)) | 0;
    if (signed) {
      if (a < 0) hi = (hi - b) | 0;
      if (b < 0) hi = (hi - a) | 0;
    }
    return { lo: Math.imul(a, b), hi };
  }
  divide(hi: number, lo: number, divisor: number, size: Size, signed: boolean): { q: number; r: number; fault: number } {
    const bits = size * 8;
    const fault = { q: 0, r: 0, fault: 1 };
    if (size < 4) {
      const mask = (1 << bits) - 1;
      const dividendU = ((hi & mask) * (1 << bits) + (lo & mask));
      if (!signed) {
        const d = divisor & mask;
        if (d === 0) return fault;
        const q = Math.floor(dividendU / d);
        if (q > mask) return fault;
        return { q, r: dividendU - q * d, fault: 0 };
      }
      const dividend = dividendU >= 2 ** (2 * bits - 1) ? dividendU - 2 ** (2 * bits) : dividendU;
      const d = this.sx(divisor, size);
      if (d === 0) return fault;
      const q = Math.trunc(dividend / d);
      if (q > mask >> 1 || q < -(mask >> 1) - 1) return fault;
      return { q: q & mask, r: (dividend - q * d) & mask, fault: 0 };
    }
    if (!signed) {
      const d = BigInt(divisor >>> 0);
      if (d === 0n) return fault;
      const n = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
      const q = n / d;
      if (q > 0xffffffffn) return fault;
      return { q: Number(q) | 0, r: Number(n % d) | 0, fault: 0 };
    }
    const d = BigInt(divisor | 0);
    if (d === 0n) return fault;
    const n = (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
    const q = n / d;
    if (q > 0x7fffffffn || q < -0x80000000n) return fault;
    return { q: Number(q) | 0, r: Number(n % d) | 0, fault: 0 };
  }
}

/** Handles sensitive instructions: the VMM side of a hypervisor call. */
export interface HypercallHandler {
  hypercall(insn: Instruction): void;
}

/** Raised from a hypercall handler to leave the run loop (a VM exit the caller must see). */
export class VmExitSignal extends Error {
  constructor(readonly exit: unknown) { super('vm exit'); }
}

export class ConcreteBackend extends ConcreteArith implements Backend<number> {
  /** Set by jump(); cleared before each instruction. */
  jumped = false;
  private insn: Instruction | null = null;

  constructor(
    readonly cpu: CpuState,
    readonly mem: PhysicalMemory,
    readonly mmu: Mmu,
    public vmm: HypercallHandler,
  ) {
    super();
  }

  get mode(): ModeInfo { return this.cpu.mode; }

  /** Called by the run loop before each instruction. */
  begin(insn: Instruction): void {
    this.insn = insn;
    this.jumped = false;
  }

  reg(r: number, size: Size): number {
    const regs = this.cpu.regs;
    if (size === 4) return regs[r]!;
    if (size === 2) return regs[r]! & 0xffff;
    return r < 4 ? regs[r]! & 0xff : (regs[r - 4]! >> 8) & 0xff;
  }

  setReg(r: number, size: Size, v: number): void {
    const regs = this.cpu.regs;
    if (size === 4) regs[r] = v;
    else if (size === 2) regs[r] = (regs[r]! & ~0xffff) | (v & 0xffff);
    else if (r < 4) regs[r] = (regs[r]! & ~0xff) | (v & 0xff);
    else regs[r - 4] = (regs[r - 4]! & ~0xff00) | ((v & 0xff) << 8);
  }

  sreg(s: Seg): number {
    return this.cpu.segs[s]!.selector;
  }

  /**
   * A segment-register load with the checks of the current mode
   * (runtime/system/segments.ts): real mode keeps the cached limit and
   * attributes, v86 gives the fixed 64 KiB cache, protected mode checks the
   * descriptor and may fault.
   */
  loadSeg(s: Seg, selector: number): void {
    loadSegmentRegister(this, s, selector & 0xffff);
  }

  /**
   * Segment checks of one data access (SDM vol. 3, 5.3 and 5.4); returns
   * the linear address. Protected mode: an unusable (null) register is
   * #GP(0); writes need writable data, reads anything but execute-only
   * code; expand-down data allows offsets above the limit up to FFFFh or
   * FFFFFFFFh by the B bit. Real and v86 mode check only the cached limit
   * (64 KiB unless real-mode code kept a larger one: unreal mode). Faults
   * through SS are #SS(0), through any other register #GP(0).
   */
  linear(s: Seg, offset: number, size: number, write: boolean): number {
    const seg: SegmentCache = this.cpu.segs[s]!;
    const off = offset >>> 0;
    if (this.cpu.mode.protectedMode) {
      const vector = s === Seg.SS ? Vector.SS : Vector.GP;
      if (seg.unusable) throw new GuestFault(vector, 0);
      const type = seg.access & 0xf;
      const code = (type & 8) !== 0;
      if (write ? code || !(type & 2) : code && !(type & 2)) throw new GuestFault(vector, 0);
      if (!code && (type & 4)) {
        // Expand-down data segment: valid offsets are (limit, top].
        const top = seg.big ? 0xffffffff : 0xffff;
        if (off <= seg.limit || off + size - 1 > top) throw new GuestFault(vector, 0);
        return (seg.base + off) >>> 0;
      }
    }
    if (off + size - 1 > seg.limit) throw new GuestFault(s === Seg.SS ? Vector.SS : Vector.GP, 0);
    return (seg.base + off) >>> 0;
  }

  load(s: Seg, offset: number, size: Size): number {
    const lin = this.linear(s, offset, size, false);
    const mem = this.mem;
    if ((lin & 0xfff) + size <= 0x1000) {
      const pa = this.mmu.translate(lin, Access.Read);
      return size === 4 ? mem.read32(pa) : size === 2 ? mem.read16(pa) : mem.read8(pa);
    }
    // Split across pages: translate both before reading (a fault on the second reports its first byte).
    const pa0 = this.mmu.translate(lin, Access.Read);
    const pa1 = this.mmu.translate(((lin | 0xfff) + 1) >>> 0, Access.Read) & ~0xfff;
    let v = 0;
    for (let k = 0; k < size; k++) {
      const pa = ((lin + k) & 0xfff) >= (lin & 0xfff) ? pa0 + k : pa1 + (((lin + k) & 0xfff) >>> 0);
      v |= mem.read8(pa) << (8 * k);
    }
    return size === 4 ? v | 0 : v;
  }

  store(s: Seg, offset: number, size: Size, v: number): void {
    const lin = this.linear(s, offset, size, true);
    const mem = this.mem;
    if ((lin & 0xfff) + size <= 0x1000) {
      const pa = this.mmu.translate(lin, Access.Write);
      if (size === 4) mem.write32(pa, v); else if (size === 2) mem.write16(pa, v); else mem.write8(pa, v);
      return;
    }
    const pa0 = this.mmu.translate(lin, Access.Write);
    const pa1 = this.mmu.translate(((lin | 0xfff) + 1) >>> 0, Access.Write) & ~0xfff;
    for (let k = 0; k < size; k++) {
      const pa = ((lin + k) & 0xfff) >= (lin & 0xfff) ? pa0 + k : pa1 + ((lin + k) & 0xfff);
      mem.write8(pa, (v >>> (8 * k)) & 0xff);
    }
  }

  load64(s: Seg, offset: number): { lo: number; hi: number } {
    const lin = this.linear(s, offset, 8, false);
    if ((lin & 0xfff) <= 0xff8) {
      const pa = this.mmu.translate(lin, Access.Read);
      return { lo: this.mem.read32(pa), hi: this.mem.read32(pa + 4) };
    }
    // Across a page: each half translated (and faulting) in turn, as the x87 unit's routines read it.
    return { lo: this.load(s, offset, 4), hi: this.load(s, (offset + 4) | 0, 4) };
  }

  store64(s: Seg, offset: number, lo: number, hi: number): void {
    this.probeWrite(s, offset, 8);
    this.store(s, offset, 4, lo);
    this.store(s, (offset + 4) | 0, 4, hi);
  }

  probeWrite(s: Seg, offset: number, len: number): void {
    const lin = this.linear(s, offset, len, true);
    for (let p = lin >>> 12; p <= ((lin + len - 1) >>> 12); p++) {
      this.mmu.translate(p === lin >>> 12 ? lin : (p << 12) >>> 0, Access.Write);
    }
  }

  jump(target: number): void {
    const cs = this.cpu.segs[Seg.CS]!;
    if (target >>> 0 > cs.limit) throw new GuestFault(Vector.GP, 0);
    this.cpu.eip = target >>> 0;
    this.jumped = true;
  }

  flagsOp(op: FlagOp, size: Size, res: number, a: number, b: number): void {
    const cpu = this.cpu;
    const defined = flagsDefinedBy(op);
    const keep = cpu.lazyMask & ~defined;
    if (keep) {
      // Materialise lazily-held flags the new operation does not redefine (CF across INC/DEC).
      const word = lazyFlagsWord(this, cpu.lazyOp, cpu.lazySize, cpu.lazyRes, cpu.lazyA, cpu.lazyB);
      cpu.flags = (cpu.flags & ~keep) | (word & keep);
    }
    cpu.setLazyKind(defined, op, size);
    cpu.lazyRes = res;
    cpu.lazyA = a;
    cpu.lazyB = b;
  }

  flag(f: Flag): number {
    const cpu = this.cpu;
    if (cpu.lazyMask & f) return lazyFlag(this, f, cpu.lazyOp, cpu.lazySize, cpu.lazyRes, cpu.lazyA, cpu.lazyB);
    return cpu.flags & f ? 1 : 0;
  }

  setFlag(f: Flag, v: number): void {
    const cpu = this.cpu;
    cpu.lazyMask &= ~f;
    cpu.flags = v ? cpu.flags | f : cpu.flags & ~f;
  }

  eflags(): number {
    const cpu = this.cpu;
    if (cpu.lazyMask) {
      const word = lazyFlagsWord(this, cpu.lazyOp, cpu.lazySize, cpu.lazyRes, cpu.lazyA, cpu.lazyB);
      cpu.flags = (cpu.flags & ~cpu.lazyMask) | (word & cpu.lazyMask);
      cpu.lazyMask = 0;
    }
    return cpu.flags | 2;
  }

  setEflags(v: number, mask: number): void {
    const cpu = this.cpu;
    cpu.lazyMask &= ~mask;
    const old = cpu.flags;
    cpu.flags = ((old & ~mask) | (v & mask) | 2) & ~0x8028; // reserved bits 3, 5, 15 read as 0
    if ((old ^ cpu.flags) & Flag.VM) cpu.refreshMode();
  }

  cond(cc: number): number {
    const cpu = this.cpu;
    // Fast paths for the common compare-and-branch pairs.
    const size = cpu.lazySize;
    // (Not after SBB: the borrow in makes res != a - b.)
    if (cpu.lazyMask === 0x8d5 && cpu.lazyOp === FlagOp.Sub && this.zx(cpu.lazyA - cpu.lazyB, size) === this.zx(cpu.lazyRes, size)) {
      const a = this.zx(cpu.lazyA, size), b = this.zx(cpu.lazyB, size);
      switch (cc) {
        case 2: return a >>> 0 < b >>> 0 ? 1 : 0;
        case 3: return a >>> 0 >= b >>> 0 ? 1 : 0;
        case 4: return a === b ? 1 : 0;
        case 5: return a !== b ? 1 : 0;
        case 6: return a >>> 0 <= b >>> 0 ? 1 : 0;
        case 7: return a >>> 0 > b >>> 0 ? 1 : 0;
        case 12: return this.sx(a, size) < this.sx(b, size) ? 1 : 0;
        case 13: return this.sx(a, size) >= this.sx(b, size) ? 1 : 0;
        case 14: return this.sx(a, size) <= this.sx(b, size) ? 1 : 0;
        case 15: return this.sx(a, size) > this.sx(b, size) ? 1 : 0;
      }
    }
    return conditionFromFlags(this, (f) => this.flag(f), cc);
  }

  if_(c: number, then: () => void, otherwise?: () => void): void {
    if (c) then();
    else if (otherwise) otherwise();
  }

  raise(vector: number, errorCode = 0): void {
    throw new GuestFault(vector, errorCode);
  }

  raiseTrap(vector: number): void {
    throw new GuestFault(vector, 0, 0, true);
  }

  hypercall(insn: Instruction): void {
    this.vmm.hypercall(insn);
  }

  x87Usable(): number {
    return this.cpu.cr0 & (CR0_EM | CR0_TS) ? 0 : 1;
  }

  fpuWord(w: FpuWord): number {
    return this.cpu.fpu.words[w]! | 0;
  }

  setFpuWord(w: FpuWord, v: number): void {
    this.cpu.fpu.words[w] = v;
  }

  fpuReg(p: number, part: FpuPart): number {
    const f = this.cpu.fpu;
    return part === FpuPart.SignExp ? f.sexp[p & 7]! : f.sig32[2 * (p & 7) + part]! | 0;
  }

  setFpuReg(p: number, part: FpuPart, v: number): void {
    const f = this.cpu.fpu;
    if (part === FpuPart.SignExp) f.sexp[p & 7] = v;
    else f.sig32[2 * (p & 7) + part] = v;
  }

  helper(name: string, insn: Instruction): void {
    const routine = HELPERS[name];
    if (!routine) throw new Error(`no runtime helper '${name}'`);
    routine(this, insn);
  }
}
