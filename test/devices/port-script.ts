/**
 * Straight-line device scripts for checking the chipset against QEMU: a
 * list of port and MMIO accesses is assembled into a multiboot guest (each
 * logged read goes to QEMU's debugcon, port 0xE9, as raw bytes) and replayed
 * against createPcChipset. Only accesses whose results do not depend on
 * time belong in a script: QEMU runs on the host's clock.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoBus } from '../../runtime/io-bus.js';
import { MmioBus } from '../../runtime/mmio-bus.js';
import { ManualTimeSource, VirtualClock } from '../../runtime/devices/clock.js';
import { createPcChipset } from '../../runtime/devices/chipset.js';

export type Op =
  | { readonly op: 'out'; readonly port: number; readonly value: number }
  | { readonly op: 'in'; readonly port: number; readonly note: string; readonly mask?: number }
  | { readonly op: 'discard'; readonly port: number }
  | { readonly op: 'w32'; readonly addr: number; readonly value: number }
  | { readonly op: 'r32'; readonly addr: number; readonly note: string };

export const out = (port: number, value: number): Op => ({ op: 'out', port, value });
/** A logged byte read; `mask` keeps only the bits that do not depend on time (the RTC's UIP, say). */
export const inb = (port: number, note: string, mask?: number): Op => (mask === undefined ? { op: 'in', port, note } : { op: 'in', port, note, mask });
export const discard = (port: number): Op => ({ op: 'discard', port });
export const w32 = (addr: number, value: number): Op => ({ op: 'w32', addr, value });
export const r32 = (addr: number, note: string): Op => ({ op: 'r32', addr, note });

/** One logged result: what it is and its bytes. */
export interface Reading {
  readonly note: string;
  readonly value: number;
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

export function assemble(ops: readonly Op[]): string {
  const lines = [
    '.section .text',
    '.globl _start',
    '.align 4',
    '  .long 0x1BADB002', // multiboot magic, no flags
    '  .long 0',
    '  .long -(0x1BADB002)',
    '_start:',
    '  cli',
  ];
  for (const o of ops) {
    switch (o.op) {
      case 'out':
        lines.push(`  mov $${hex(o.port)}, %dx`, `  mov $${hex(o.value & 0xff)}, %al`, '  out %al, %dx');
        break;
      case 'in':
        lines.push(`  mov $${hex(o.port)}, %dx`, '  in %dx, %al');
        if (o.mask !== undefined) lines.push(`  and $${hex(o.mask)}, %al`);
        lines.push('  out %al, $0xe9');
        break;
      case 'discard':
        lines.push(`  mov $${hex(o.port)}, %dx`, '  in %dx, %al');
        break;
      case 'w32':
        lines.push(`  movl $${hex(o.value)}, ${hex(o.addr)}`);
        break;
      case 'r32':
        lines.push(`  mov ${hex(o.addr)}, %eax`);
        for (let i = 0; i < 4; i++) lines.push('  out %al, $0xe9', '  shr $8, %eax');
        break;
    }
  }
  lines.push('  mov $0, %al', '  out %al, $0xf4', '1: hlt', '  jmp 1b', '');
  return lines.join('\n');
}

/** Whether the QEMU run can happen here (qemu-system-i386 and binutils). */
export function qemuToolsAvailable(): boolean {
  try {
    for (const t of ['qemu-system-i386', 'as', 'ld']) execFileSync(t, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Run the script in QEMU's PC (after SeaBIOS, as -kernel boots) and split debugcon's bytes into readings. */
export function runInQemu(ops: readonly Op[]): Reading[] {
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-devices-'));
  try {
    writeFileSync(join(dir, 'g.S'), assemble(ops));
    execFileSync('as', ['--32', '-o', join(dir, 'g.o'), join(dir, 'g.S')]);
    execFileSync('ld', ['-m', 'elf_i386', '-Ttext', '0x100000', '-e', '_start', '-o', join(dir, 'g.elf'), join(dir, 'g.o')]);
    const log = join(dir, 'debugcon.bin');
    try {
      execFileSync('qemu-system-i386', [
        '-kernel', join(dir, 'g.elf'), '-m', '32', '-cpu', 'pentium3',
        '-nographic', '-no-reboot', '-nic', 'none', '-monitor', 'none', '-serial', 'null',
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-debugcon', `file:${log}`,
      ], { timeout: 20_000, stdio: 'ignore' });
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status !== 1) throw e; // isa-debug-exit with 0: status (0 << 1) | 1
    }
    const bytes = existsSync(log) ? readFileSync(log) : Buffer.alloc(0);
    return split(ops, (i) => bytes[i]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replay the script on a freshly built chipset (time advancing 1 µs per access). */
export function runInChipset(ops: readonly Op[]): Reading[] {
  const src = new ManualTimeSource();
  const clock = new VirtualClock(src);
  const io = new IoBus();
  const mmio = new MmioBus();
  createPcChipset({ io, clock, mmio, memoryBytes: 32 << 20 });
  const bytes: number[] = [];
  for (const o of ops) {
    src.skip(1000);
    switch (o.op) {
      case 'out':
        io.write(o.port, 1, o.value);
        break;
      case 'in':
        bytes.push(io.read(o.port, 1) & (o.mask ?? 0xff));
        break;
      case 'discard':
        io.read(o.port, 1);
        break;
      case 'w32':
        mmio.write(o.addr, 4, o.value);
        break;
      case 'r32': {
        const v = mmio.read(o.addr, 4);
        for (let i = 0; i < 4; i++) bytes.push((v >>> (8 * i)) & 0xff);
        break;
      }
    }
  }
  return split(ops, (i) => bytes[i]);
}

function split(ops: readonly Op[], byte: (i: number) => number | undefined): Reading[] {
  const out: Reading[] = [];
  let at = 0;
  for (const o of ops) {
    if (o.op === 'in') out.push({ note: o.note, value: byte(at++) ?? -1 });
    else if (o.op === 'r32') {
      let v = 0;
      let missing = false;
      for (let i = 0; i < 4; i++) {
        const b = byte(at++);
        if (b === undefined) missing = true;
        v |= (b ?? 0) << (8 * i);
      }
      out.push({ note: o.note, value: missing ? -1 : v >>> 0 });
    }
  }
  return out;
}
