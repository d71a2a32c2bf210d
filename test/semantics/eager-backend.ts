/**
 * A small concrete Backend<number> for focused semantics tests: registers
 * in an array, flags computed eagerly (not through the runtime's lazy
 * record, so the two flag paths check each other), byte memory in a Map
 * with read-only pages and an unmapped hole, no segmentation or paging.
 */
import { type Backend, Flag, FlagOp, type ModeInfo } from '../../translator/semantics/backend.js';
import { conditionFromFlags, flagsDefinedBy, lazyFlagsWord } from '../../translator/semantics/flags.js';
import { SEMANTICS } from '../../translator/semantics/index.js';
import { decode } from '../../translator/decoder.js';
import { type Instruction, isFault, type Seg, type Size } from '../../translator/table/types.js';
import { GuestFault } from '../../runtime/exceptions.js';
import { ConcreteArith } from '../../runtime/concrete-backend.js';

const u = (x: number): number => x >>> 0;

export class EagerBackend extends ConcreteArith implements Backend<number> {
  regs = new Uint32Array(8);
  sregs = [0x2b, 0x23, 0x2b, 0x2b, 0, 0];
  flags = 2;
  mem = new Map<number, number>();
  /** Pages (address >>> 12) where writes raise #PF(7). */
  readOnlyPages = new Set<number>();
  /** Addresses [lo, hi) whose access raises #PF. */
  hole: [number, number] = [0, 0];
  /** Set by jump(); undefined when the instruction fell through. */
  eip: number | undefined;
  mode: ModeInfo = { code32: true, stack32: true, cpl: 3, protectedMode: true, v86: false };

  reg(r: number, size: Size): number {
    if (size === 1 && r >= 4) return (this.regs[r - 4]! >>> 8) & 0xff;
    return this.zx(this.regs[r]! | 0, size);
  }
  setReg(r: number, size: Size, v: number): void {
    if (size === 4) this.regs[r] = v;
    else if (size === 2) this.regs[r] = (this.regs[r]! & 0xffff0000) | (v & 0xffff);
    else if (r >= 4) this.regs[r - 4] = (this.regs[r - 4]! & ~0xff00) | ((v & 0xff) << 8);
    else this.regs[r] = (this.regs[r]! & ~0xff) | (v & 0xff);
  }
  sreg(s: Seg): number { return this.sregs[s]!; }
  loadSeg(): void { throw new Error('unused'); }
  private check(offset: number, size: number): void {
    for (let n = 0; n < size; n++) {
      const a = u(offset + n);
      if (a >= this.hole[0] && a < this.hole[1]) throw new GuestFault(14, 0, a);
    }
  }
  load(_s: Seg, offset: number, size: Size): number {
    this.check(offset, size);
    let v = 0;
    for (let n = size - 1; n >= 0; n--) v = (v << 8) | (this.mem.get(u(offset + n)) ?? 0);
    return size === 4 ? v | 0 : v;
  }
  probeWrite(_s: Seg, offset: number, len: number): void {
    this.check(offset, len);
    for (let n = 0; n < len; n++) {
      const a = u(offset + n);
      if (this.readOnlyPages.has(a >>> 12)) throw new GuestFault(14, 7, a);
    }
  }
  store(s: Seg, offset: number, size: Size, v: number): void {
    this.probeWrite(s, offset, size);
    for (let n = 0; n < size; n++) this.mem.set(u(offset + n), (v >>> (8 * n)) & 0xff);
  }
  jump(target: number): void { this.eip = u(target); }
  flagsOp(op: FlagOp, size: Size, res: number, a: number, b: number): void {
    this.setEflags(lazyFlagsWord(this, op, size, res, a, b), flagsDefinedBy(op));
  }
  flag(f: Flag): number { return this.flags & f ? 1 : 0; }
  setFlag(f: Flag, v: number): void { this.flags = v ? this.flags | f : this.flags & ~f; }
  eflags(): number { return u(this.flags); }
  setEflags(v: number, mask: number): void { this.flags = u((this.flags & ~mask) | (v & mask) | 2); }
  cond(cc: number): number { return conditionFromFlags(this, (f) => this.flag(f), cc); }
  if_(c: number, then: () => void, otherwise?: () => void): void { if (c) then(); else otherwise?.(); }
  raise(vector: number, errorCode = 0): void { throw new GuestFault(vector, errorCode); }
  raiseTrap(vector: number): void { throw new GuestFault(vector); }
  hypercall(): void { throw new Error('unused'); }
  helper(): void { throw new Error('unused'); }
  load64(s: Seg, offset: number): { lo: number; hi: number } {
    this.check(offset, 8);
    return { lo: this.load(s, offset, 4), hi: this.load(s, (offset + 4) | 0, 4) };
  }
  store64(s: Seg, offset: number, lo: number, hi: number): void {
    this.probeWrite(s, offset, 8);
    this.store(s, offset, 4, lo);
    this.store(s, (offset + 4) | 0, 4, hi);
  }
  // No x87 unit: its semantics fall back on helper(), which these tests do not use.
  x87Usable(): number { return 0; }
  fpuWord(): number { throw new Error('unused'); }
  setFpuWord(): void { throw new Error('unused'); }
  fpuReg(): number { throw new Error('unused'); }
  setFpuReg(): void { throw new Error('unused'); }

  /** Store `size` bytes little-endian at addr (test set-up, no checks). */
  write32(addr: number, v: number, size: Size = 4): void {
    for (let n = 0; n < size; n++) this.mem.set(u(addr + n), (v >>> (8 * n)) & 0xff);
  }
  /** Decode `bytes` at EIP 0x1000 and run them once. */
  exec(bytes: number[], code32 = true): Instruction {
    const i = decode((n) => bytes[n] ?? 0, 0x1000, code32);
    if (isFault(i)) throw new Error(`decode fault: ${i.reason}`);
    const sem = SEMANTICS[i.row.sem];
    if (!sem) throw new Error(`no routine ${i.row.sem}`);
    this.eip = undefined;
    sem(this, i);
    return i;
  }
  /** Run 32-bit code bytes once. */
  run(...bytes: number[]): void {
    this.exec(bytes);
  }
  /** Run and return the vector of the fault raised, or -1. */
  fault(...bytes: number[]): number {
    try {
      this.run(...bytes);
      return -1;
    } catch (e) {
      if (e instanceof GuestFault) return e.vector;
      throw e;
    }
  }
  r(n: number): number { return u(this.regs[n]!); }
  /** The status flags as letters, for readable expectations. */
  f(): string {
    const names: Array<[number, string]> = [[Flag.OF, 'O'], [Flag.SF, 'S'], [Flag.ZF, 'Z'], [Flag.AF, 'A'], [Flag.PF, 'P'], [Flag.CF, 'C']];
    return names.map(([bit, ch]) => (this.flags & bit ? ch : '.')).join('');
  }
}
