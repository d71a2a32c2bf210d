/**
 * A small protected-mode machine for the far-transfer, event-delivery and
 * task-switch unit tests: one vCPU with the default VMM, a GDT, an IDT and
 * a TSS in guest memory, code assembled by the host's GNU as and linked at
 * the address it runs from, and a run loop that delivers guest faults
 * through deliverEvent the way a vCPU's run loop does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmExitSignal } from '../../../runtime/concrete-backend.js';
import { CpuState, CR0_PE, type SegmentCache } from '../../../runtime/cpu.js';
import { CPU_MODELS } from '../../../runtime/cpu-model.js';
import type { GuestFault } from '../../../runtime/exceptions.js';
import { ExitReason } from '../../../runtime/exit-reason.js';
import { Interpreter, type VmExit } from '../../../runtime/interpreter.js';
import { IoBus } from '../../../runtime/io-bus.js';
import { PhysicalMemory } from '../../../runtime/memory.js';
import type { SystemContext } from '../../../runtime/system/context.js';
import type { GuestEvent } from '../../../runtime/system/event-types.js';
import { deliverEvent, eventOfFault } from '../../../runtime/system/events.js';
import { DefaultVmm } from '../../../runtime/vmm.js';
import { Seg } from '../../../translator/table/types.js';

const assembled = new Map<string, Uint8Array>();

/** Assemble GNU as source (Intel syntax) as `bits`-bit code linked to run at `origin`. */
export function asm(source: string, bits: 16 | 32 = 32, origin = 0): Uint8Array {
  const text = `.intel_syntax noprefix\n.code${bits}\n${source}\n`;
  const key = `${origin}:${text}`;
  const hit = assembled.get(key);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-xfer-'));
  try {
    writeFileSync(join(dir, 'a.s'), text);
    execFileSync('as', ['--32', '-o', join(dir, 'a.o'), join(dir, 'a.s')], { stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync('ld', ['-m', 'elf_i386', '-N', '-Ttext', `0x${origin.toString(16)}`, '--oformat', 'binary', '-o', join(dir, 'a.bin'), join(dir, 'a.o')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const bytes = new Uint8Array(readFileSync(join(dir, 'a.bin')));
    assembled.set(key, bytes);
    return bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw segment descriptor (SDM vol. 3, figure 3-8). `flags`: G (8), D/B (4). */
export function seg(base: number, rawLimit: number, access: number, flags = 0): { lo: number; hi: number } {
  const lo = ((base & 0xffff) << 16) | (rawLimit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (rawLimit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return { lo: lo | 0, hi: hi | 0 };
}

/** Raw gate descriptor (SDM vol. 3, figures 5-8 and 6-2): call, interrupt, trap and task gates. */
export function gate(selector: number, offset: number, type: number, dpl: number, params = 0, present = true): { lo: number; hi: number } {
  const lo = ((selector & 0xffff) << 16) | (offset & 0xffff);
  const hi = (offset & 0xffff0000) | (present ? 0x8000 : 0) | (dpl << 13) | (type << 8) | (params & 0x1f);
  return { lo: lo | 0, hi: hi | 0 };
}

/** Gate and system-segment types (SDM vol. 3, table 3-2). */
export const T = { tss16: 1, ldt: 2, tss16Busy: 3, call16: 4, task: 5, int16: 6, trap16: 7, tss32: 9, tss32Busy: 11, call32: 12, int32: 14, trap32: 15 } as const;

/** Access bytes: present, DPL, S, type. */
export const ACC = {
  data: (dpl = 0, type = 0x3) => 0x90 | (dpl << 5) | type,
  code: (dpl = 0, type = 0xb) => 0x90 | (dpl << 5) | type,
  system: (dpl: number, type: number) => 0x80 | (dpl << 5) | type,
} as const;

export const GDT = 0x10000;
export const IDT = 0x11000;
export const TSS = 0x12000;
export const IO_MAP = 0x68;
export const CODE = 0x1000;
export const STACK0 = 0x70000;
export const STACK3 = 0x60000;

/** Fixed GDT entries; entries from 16 on are free for each test. */
export const SEL = {
  code0: 0x08, data0: 0x10, code3: 0x1b, data3: 0x23, code16: 0x28, data16: 0x30, tss: 0x38, conforming: 0x40,
  free: (index: number) => (16 + index) << 3,
} as const;

const flat = (selector: number, access: number): SegmentCache => ({ selector, base: 0, limit: 0xffffffff, access, big: true, unusable: false });

export interface Machine {
  mem: PhysicalMemory;
  cpu: CpuState;
  interp: Interpreter;
  ctx: SystemContext;
  /** Events delivered by run(), in order. */
  events: GuestEvent[];
  setGdt(index: number, d: { lo: number; hi: number }): void;
  setIdt(vector: number, d: { lo: number; hi: number }): void;
  gdtHigh(index: number): number;
  load(at: number, bytes: Uint8Array): void;
  r8(at: number): number;
  r16(at: number): number;
  r32(at: number): number;
  w16(at: number, v: number): void;
  w32(at: number, v: number): void;
  /** Read `n` dwords (or words) of a stack upwards from `at`. */
  stack(at: number, n: number, size?: 2 | 4): number[];
  /**
   * Run until HLT, a VM exit other than an exception, or `maxSteps`;
   * guest faults are delivered with deliverEvent (a triple fault ends the
   * run with its exit). Returns the exit that ended the run, or null.
   */
  run(maxSteps?: number): VmExit | null;
  /** Step until the first exit without delivering anything: the raw fault an instruction raises. */
  fault(maxSteps?: number): GuestFault;
  /** A 32-bit TSS image at `base`: fields by name. */
  writeTss32(base: number, f: Partial<Tss32>): void;
}

export interface Tss32 {
  link: number; esp0: number; ss0: number; esp1: number; ss1: number; esp2: number; ss2: number; cr3: number;
  eip: number; eflags: number; regs: number[]; segs: number[]; ldt: number; trap: number; ioBase: number;
}

/**
 * A protected-mode machine at `cpl` (0 or 3) running 32-bit flat code at
 * CODE: GDT with flat DPL-0 and DPL-3 code and data, 16-bit DPL-0 code and
 * data, a conforming DPL-0 code segment, and a busy 32-bit TSS in TR whose
 * ring-0 stack is data0:STACK0 and whose I/O bitmap (at IO_MAP) allows
 * every port. The IDT is empty (not-present gates).
 */
export function machine(cpl = 0): Machine {
  const mem = new PhysicalMemory(4 << 20);
  const cpu = CpuState.in(mem);
  cpu.reset();
  const vmm = new DefaultVmm(new IoBus(), CPU_MODELS.i686!);
  const interp = new Interpreter(cpu, mem, vmm);
  vmm.attach(interp);
  const ctx = vmm.ctx;
  const dv = new DataView(mem.memory.buffer);
  const setAt = (at: number, d: { lo: number; hi: number }): void => { dv.setInt32(at, d.lo, true); dv.setInt32(at + 4, d.hi, true); };
  const m: Machine = {
    mem, cpu, interp, ctx, events: [],
    setGdt: (index, d) => setAt(GDT + index * 8, d),
    setIdt: (vector, d) => setAt(IDT + vector * 8, d),
    gdtHigh: (index) => dv.getInt32(GDT + index * 8 + 4, true),
    load: (at, bytes) => mem.load(at, bytes),
    r8: (at) => dv.getUint8(at),
    r16: (at) => dv.getUint16(at, true),
    r32: (at) => dv.getUint32(at, true),
    w16: (at, v) => dv.setUint16(at, v, true),
    w32: (at, v) => dv.setUint32(at, v >>> 0, true),
    stack: (at, n, size = 4) => Array.from({ length: n }, (_, k) => (size === 4 ? dv.getUint32(at + 4 * k, true) : dv.getUint16(at + 2 * k, true))),
    run(maxSteps = 10000) {
      for (let n = 0; n < maxSteps; n++) {
        const exit = interp.stepExit();
        if (!exit) continue;
        if (exit.reason !== ExitReason.ExceptionOrNmi || !exit.fault) return exit;
        const event = eventOfFault(exit.fault);
        m.events.push(event);
        try {
          deliverEvent(ctx, event);
        } catch (e) {
          if (e instanceof VmExitSignal) return e.exit as VmExit;
          throw e;
        }
      }
      return null;
    },
    fault(maxSteps = 1000) {
      for (let n = 0; n < maxSteps; n++) {
        const exit = interp.stepExit();
        if (!exit) continue;
        if (!exit.fault) throw new Error(`expected a guest fault, got exit ${exit.reason}`);
        return exit.fault;
      }
      throw new Error('no fault');
    },
    writeTss32(base, f) {
      const w32 = (off: number, v: number | undefined): void => { if (v !== undefined) dv.setUint32(base + off, v >>> 0, true); };
      const w16 = (off: number, v: number | undefined): void => { if (v !== undefined) dv.setUint16(base + off, v, true); };
      w16(0, f.link); w32(4, f.esp0); w16(8, f.ss0); w32(0xc, f.esp1); w16(0x10, f.ss1); w32(0x14, f.esp2); w16(0x18, f.ss2);
      w32(0x1c, f.cr3); w32(0x20, f.eip); w32(0x24, f.eflags);
      f.regs?.forEach((v, r) => w32(0x28 + 4 * r, v));
      f.segs?.forEach((v, s) => w16(0x48 + 4 * s, v));
      w16(0x60, f.ldt); w16(0x64, f.trap); w16(0x66, f.ioBase);
    },
  };
  m.setGdt(1, seg(0, 0xfffff, ACC.code(0), 0xc));
  m.setGdt(2, seg(0, 0xfffff, ACC.data(0), 0xc));
  m.setGdt(3, seg(0, 0xfffff, ACC.code(3), 0xc));
  m.setGdt(4, seg(0, 0xfffff, ACC.data(3), 0xc));
  m.setGdt(5, seg(0, 0xffff, ACC.code(0)));
  m.setGdt(6, seg(0, 0xffff, ACC.data(0)));
  m.setGdt(7, seg(TSS, IO_MAP + 0x2000, ACC.system(0, T.tss32Busy)));
  m.setGdt(8, seg(0, 0xfffff, ACC.code(0, 0xf), 0xc));
  cpu.gdtrBase = GDT;
  cpu.gdtrLimit = 0x800 - 1;
  cpu.idtrBase = IDT;
  cpu.idtrLimit = 0x800 - 1;
  m.writeTss32(TSS, { esp0: STACK0, ss0: SEL.data0, ioBase: IO_MAP });
  cpu.tr = { selector: SEL.tss, base: TSS, limit: IO_MAP + 0x2000, access: ACC.system(0, T.tss32Busy), big: false, unusable: false };
  cpu.ldtr = { selector: 0, base: 0, limit: 0, access: 0x82, big: false, unusable: true };
  cpu.cr0 |= CR0_PE;
  cpu.cpl = cpl;
  for (let s = 0; s < 6; s++) {
    cpu.setSeg(s, s === Seg.CS ? flat(cpl ? SEL.code3 : SEL.code0, ACC.code(cpl)) : flat(cpl ? SEL.data3 : SEL.data0, ACC.data(cpl)));
  }
  cpu.eip = CODE;
  cpu.regs[4] = cpl ? STACK3 : STACK0;
  cpu.refreshMode();
  return m;
}

/** Start executing `code` (assembled at CODE) at CODE. */
export function start(m: Machine, source: string, bits: 16 | 32 = 32): void {
  m.load(CODE, asm(source, bits, CODE));
  m.cpu.eip = CODE - m.cpu.segs[Seg.CS]!.base;
}

/** The vector and error code of a fault. */
export function faultOf(f: GuestFault): { vector: number; errorCode: number } {
  return { vector: f.vector, errorCode: f.errorCode };
}
