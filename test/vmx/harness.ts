/**
 * Guests for the VMX tests: a snippet of GNU as (32-bit, linked at 1 MiB
 * by the flat loader's rules) run on a machine in flat protected mode at
 * CPL 0 with a GDT, a TSS and an IDT written by the host, so that events
 * can be delivered. Every IDT vector v goes through a 32-bit interrupt
 * gate (DPL 3) to a handler at HANDLERS + 16 v that halts: a test runs
 * until the vCPU halts and reads which handler it is in and what the
 * delivery pushed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMachine, type Machine, type MachineConfig } from '../../src/machine.js';
import { loadFlat } from '../../src/loaders/flat.js';
import { buildFlatGuest, GUEST_BUILD_DIR } from '../../src/toolchain.js';
import { CODE_RX_ACCESS, DATA_RW_ACCESS } from '../../runtime/cpu.js';
import { Seg } from '../../translator/table/types.js';
import type { VcpuExit } from '../../runtime/vcpu.js';

export const GDT = 0x1000;
export const IDT = 0x2000;
export const TSS = 0x3000;
export const HANDLERS = 0x4000;
/** Ring-0 stack of the TSS (for events taken at CPL 3). */
export const RING0_STACK = 0x80000;
/** The flat loader's initial ESP. */
export const STACK_TOP = 0x90000;
/** Free memory for the snippets' data. */
export const DATA = 0x70000;

export const SEL = { code: 0x08, data: 0x10, userCode: 0x18 | 3, userData: 0x20 | 3, tss: 0x28 } as const;

/** Assemble a snippet of 32-bit GNU as into a flat image at 1 MiB (cached by content). */
export function assemble(source: string): Uint8Array {
  const text = `.code32\n.text\n.globl _start\n_start:\n${source}\n`;
  const hash = createHash('sha1').update(text).digest('hex').slice(0, 20);
  const dir = join(GUEST_BUILD_DIR, 'vmx-test');
  const out = join(dir, `${hash}.bin`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const src = join(dir, `${hash}.S`);
    writeFileSync(src, text);
    buildFlatGuest([src], out);
  }
  return new Uint8Array(readFileSync(out));
}

/** A segment descriptor's two dwords: base, byte-granular or 4 KiB-granular limit, access byte, flags nibble (G, D/B). */
export function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | (access << 8) | ((base >>> 16) & 0xff);
  return [lo | 0, hi | 0];
}

/** A machine running `source` at 1 MiB in flat 32-bit protected mode, with GDT, TSS and IDT in place. */
export function vmxMachine(source: string, config: Partial<MachineConfig> = {}): Machine {
  const m = createMachine({ memoryMiB: 4, ...config });
  loadFlat(m, assemble(source));
  const mem = m.mem;
  const cpu = m.cpu;
  const gdt: Array<[number, number]> = [
    [0, 0],
    descriptor(0, 0xfffff, CODE_RX_ACCESS(0), 0xc),
    descriptor(0, 0xfffff, DATA_RW_ACCESS(0), 0xc),
    descriptor(0, 0xfffff, CODE_RX_ACCESS(3), 0xc),
    descriptor(0, 0xfffff, DATA_RW_ACCESS(3), 0xc),
    descriptor(TSS, 0x67, 0x8b, 0), // busy 32-bit TSS
  ];
  gdt.forEach(([lo, hi], k) => { mem.write32(GDT + 8 * k, lo); mem.write32(GDT + 8 * k + 4, hi); });
  cpu.gdtrBase = GDT;
  cpu.gdtrLimit = gdt.length * 8 - 1;
  for (let v = 0; v < 256; v++) {
    const handler = HANDLERS + 16 * v;
    // 32-bit interrupt gate, DPL 3, present.
    mem.write32(IDT + 8 * v, (SEL.code << 16) | (handler & 0xffff));
    mem.write32(IDT + 8 * v + 4, (handler & 0xffff0000) | 0xee00);
    mem.write8(handler, 0xf4); // hlt
    mem.write8(handler + 1, 0xeb); // jmp to the hlt
    mem.write8(handler + 2, 0xfd);
  }
  cpu.idtrBase = IDT;
  cpu.idtrLimit = 256 * 8 - 1;
  mem.write32(TSS + 4, RING0_STACK); // ESP0
  mem.write32(TSS + 8, SEL.data); // SS0
  mem.write16(TSS + 0x66, 0x68); // I/O map base past the limit: no bitmap
  cpu.tr = { selector: SEL.tss, base: TSS, limit: 0x67, access: 0x8b, big: false, unusable: false };
  return m;
}

/** Identity-map the first 4 MiB with 4 KiB pages (tables at 10000h); page `ro` read-only, page `absent` not present; paging and CR0.WP on. */
export function identityPaging(m: Machine, ro: number, absent: number): void {
  const pd = 0x10000, pt = 0x11000;
  m.mem.write32(pd, pt | 3);
  for (let p = 0; p < 1024; p++) {
    const pa = p << 12;
    m.mem.write32(pt + 4 * p, pa === absent ? 0 : pa | (pa === ro ? 1 : 3));
  }
  m.cpu.cr3 = pd;
  m.cpu.cr0 |= 0x80010000; // PG, WP
  m.interpreter.mmu.flush();
}

/** Switch the machine's vCPU to CPL 3 with flat user segments (the TSS has the ring-0 stack). */
export function enterUserMode(m: Machine): void {
  const cpu = m.cpu;
  for (let s = 0; s < 6; s++) {
    const code = s === Seg.CS;
    cpu.setSeg(s, { selector: code ? SEL.userCode : SEL.userData, base: 0, limit: 0xffffffff, access: code ? CODE_RX_ACCESS(3) : DATA_RW_ACCESS(3), big: true, unusable: false });
  }
  cpu.cpl = 3;
  cpu.refreshMode();
}

/** The vector of the handler the vCPU halted in, or -1. */
export function handlerVector(m: Machine): number {
  const at = m.cpu.eip - 1 - HANDLERS;
  return m.cpu.halted && at >= 0 && at < 16 * 256 && at % 16 === 0 ? at / 16 : -1;
}

/** `n` dwords at the guest's ESP (what the last delivery pushed). */
export function stack(m: Machine, n: number): number[] {
  return Array.from({ length: n }, (_, k) => m.mem.read32(m.cpu.regs[4]! + 4 * k) >>> 0);
}

/** Run the vCPU (at most `budget` instructions) until it returns an exit. */
export function runToExit(m: Machine, budget = 100_000): VcpuExit {
  return m.vcpu.run(budget);
}

/** Start of the snippet (flat loader's load address): `.org N` in a snippet puts code at CODE + N. */
export const CODE = 0x100000;
