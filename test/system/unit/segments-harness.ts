/**
 * A small machine for the segmentation and control-register unit tests:
 * one vCPU with the default VMM, a GDT in guest memory, code assembled by
 * the host's GNU as, and helpers to build descriptors and to run until the
 * code's end, a fault or a VM exit.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE_RX_ACCESS, CpuState, CR0_PE, DATA_RW_ACCESS, type SegmentCache } from '../../../runtime/cpu.js';
import { CPU_MODELS, type CpuModel } from '../../../runtime/cpu-model.js';
import { GuestFault } from '../../../runtime/exceptions.js';
import { Interpreter, type VmExit } from '../../../runtime/interpreter.js';
import { IoBus } from '../../../runtime/io-bus.js';
import { PhysicalMemory } from '../../../runtime/memory.js';
import { DefaultVmm } from '../../../runtime/vmm.js';
import { Seg } from '../../../translator/table/types.js';

const assembled = new Map<string, Uint8Array>();

/** Assemble GNU as source (Intel syntax, no prefixes) for 16- or 32-bit code into flat bytes. */
export function asm(source: string, bits: 16 | 32 = 32): Uint8Array {
  const text = `.intel_syntax noprefix\n.code${bits}\n${source}\n`;
  const hit = assembled.get(text);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-seg-'));
  try {
    writeFileSync(join(dir, 'a.s'), text);
    execFileSync('as', ['--32', '-o', join(dir, 'a.o'), join(dir, 'a.s')], { stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'a.o'), join(dir, 'a.bin')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const bytes = new Uint8Array(readFileSync(join(dir, 'a.bin')));
    assembled.set(text, bytes);
    return bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw descriptor dwords (SDM vol. 3, figure 3-8). `flags` is the high nibble: G (8), D/B (4), L (2), AVL (1). */
export function descriptor(base: number, rawLimit: number, access: number, flags = 0): { lo: number; hi: number } {
  const lo = ((base & 0xffff) << 16) | (rawLimit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (rawLimit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return { lo: lo | 0, hi: hi | 0 };
}

/** Access bytes (P, DPL, S, type). */
export const ACC = {
  data: (dpl = 0, type = 0x3) => 0x90 | (dpl << 5) | type,
  code: (dpl = 0, type = 0xb) => 0x90 | (dpl << 5) | type,
  system: (dpl: number, type: number) => 0x80 | (dpl << 5) | type,
} as const;

export const GDT_BASE = 0x20000;
export const LDT_BASE = 0x24000;
export const CODE_AT = 0x1000;
export const STACK_TOP = 0x9000;

/** Selectors of the fixed GDT entries. */
export const SEL = {
  code32: 0x08,
  data32: 0x10,
  code16: 0x18,
  data16: 0x20,
  code32User: 0x28 | 3,
  data32User: 0x30 | 3,
  /** Entry 8 onwards are free for each test. */
  free: (index: number) => (8 + index) << 3,
} as const;

export type Mode = 'real' | 'pm32' | 'pm16' | 'v86';

export interface Machine {
  mem: PhysicalMemory;
  cpu: CpuState;
  interp: Interpreter;
  vmm: DefaultVmm;
  /** Write a descriptor into the GDT (index) or, with ldt, into the LDT at LDT_BASE. */
  setDescriptor(index: number, d: { lo: number; hi: number }, ldt?: boolean): void;
  /** The high dword of a descriptor in memory (accessed and busy bits). */
  descriptorHigh(index: number, ldt?: boolean): number;
  /** Load code at CODE_AT, start there, and run until it reaches its end; returns the exit that stopped it early, or null. */
  run(code: Uint8Array, maxSteps?: number): VmExit | null;
  /** Run and expect a guest fault: returns it. */
  fault(code: Uint8Array): GuestFault;
  read32(linear: number): number;
  write32(linear: number, v: number): void;
}

const flatCache = (selector: number, access: number, big = true): SegmentCache =>
  ({ selector, base: 0, limit: 0xffffffff, access, big, unusable: false });

/**
 * A machine in `mode` at `cpl`, without paging. Protected modes use flat
 * 4 GiB caches (pm16: 16-bit code and stack with 64 KiB limits) loaded
 * from the GDT's fixed entries; v86 and real mode use segment 0. The CPU
 * model is the default i686 unless given.
 */
export function machine(mode: Mode = 'pm32', cpl = 0, model: CpuModel = CPU_MODELS.i686!): Machine {
  const mem = new PhysicalMemory(8 << 20);
  const cpu = CpuState.in(mem);
  cpu.reset();
  const vmm = new DefaultVmm(new IoBus(), model);
  const interp = new Interpreter(cpu, mem, vmm);
  vmm.attach(interp);
  const dv = new DataView(mem.memory.buffer);
  const setDescriptor = (index: number, d: { lo: number; hi: number }, ldt = false): void => {
    const at = (ldt ? LDT_BASE : GDT_BASE) + index * 8;
    dv.setInt32(at, d.lo, true);
    dv.setInt32(at + 4, d.hi, true);
  };
  // Fixed GDT: flat code and data at DPL 0 (32- and 16-bit), flat code and data at DPL 3.
  setDescriptor(1, descriptor(0, 0xfffff, ACC.code(0), 0xc));
  setDescriptor(2, descriptor(0, 0xfffff, ACC.data(0), 0xc));
  setDescriptor(3, descriptor(0, 0xffff, ACC.code(0)));
  setDescriptor(4, descriptor(0, 0xffff, ACC.data(0)));
  setDescriptor(5, descriptor(0, 0xfffff, ACC.code(3), 0xc));
  setDescriptor(6, descriptor(0, 0xfffff, ACC.data(3), 0xc));
  cpu.gdtrBase = GDT_BASE;
  cpu.gdtrLimit = 0x100 * 8 - 1;
  cpu.eip = CODE_AT;
  cpu.regs[4] = STACK_TOP;
  if (mode === 'real') cpu.setSeg(Seg.CS, { ...cpu.segs[Seg.CS]!, selector: 0, base: 0 });
  else {
    cpu.cr0 |= CR0_PE;
    cpu.cpl = mode === 'v86' ? 3 : cpl;
    if (mode === 'pm32') {
      const [cs, ds] = cpl === 3 ? [SEL.code32User, SEL.data32User] : [SEL.code32, SEL.data32];
      for (let s = 0; s < 6; s++) cpu.setSeg(s, flatCache(s === Seg.CS ? cs : ds, s === Seg.CS ? CODE_RX_ACCESS(cpl) : DATA_RW_ACCESS(cpl)));
    } else if (mode === 'pm16') {
      for (let s = 0; s < 6; s++) {
        cpu.setSeg(s, { selector: s === Seg.CS ? SEL.code16 : SEL.data16, base: 0, limit: 0xffff, access: s === Seg.CS ? CODE_RX_ACCESS(0) : DATA_RW_ACCESS(0), big: false, unusable: false });
      }
    } else {
      cpu.flags |= 1 << 17;
      for (let s = 0; s < 6; s++) cpu.setSeg(s, { selector: 0, base: 0, limit: 0xffff, access: 0xf3, big: false, unusable: false });
    }
  }
  cpu.refreshMode();
  const m: Machine = {
    mem, cpu, interp, vmm, setDescriptor,
    descriptorHigh: (index, ldt = false) => dv.getInt32((ldt ? LDT_BASE : GDT_BASE) + index * 8 + 4, true),
    run(code, maxSteps = 1000) {
      mem.load(CODE_AT, code);
      cpu.eip = (CODE_AT - cpu.segs[Seg.CS]!.base) >>> 0;
      const end = CODE_AT + code.length;
      for (let n = 0; n < maxSteps; n++) {
        if ((cpu.segs[Seg.CS]!.base + cpu.eip) >>> 0 === end) return null;
        const exit = interp.stepExit();
        if (exit) return exit;
      }
      throw new Error(`code did not reach its end in ${maxSteps} steps`);
    },
    fault(code) {
      const exit = m.run(code);
      if (!exit?.fault) throw new Error(`expected a guest fault, got ${exit ? `exit ${exit.reason}` : 'none'}`);
      return exit.fault;
    },
    read32: (linear) => dv.getInt32(linear, true),
    write32: (linear, v) => dv.setInt32(linear, v, true),
  };
  return m;
}

/** The vector and error code of a fault, for compact expectations. */
export function faultOf(f: GuestFault): { vector: number; errorCode: number } {
  return { vector: f.vector, errorCode: f.errorCode };
}
