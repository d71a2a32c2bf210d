/**
 * The nanobenchmark guests (bench/nanobench/guests/): multiboot ELF
 * kernels built from the system test guests' runtime (test/system/guests/
 * lib.S and link.ld: GDT, IDT, TSS, printing, ring switches, the exit
 * through isa-debug-exit), the nanobenchmark driver nano.S (command line,
 * paging, the measured loop, the report) and one source per workload.
 */
import { join } from 'node:path';
import { buildLinkedGuest, GUEST_BUILD_DIR, PROJECT_ROOT } from '../../src/toolchain.js';

/** The workloads, named as in Adams & Agesen (ASPLOS 2006), section 6. */
export const NANO_WORKLOAD_NAMES = ['syscall', 'in', 'cr8wr', 'call/ret', 'pgfault', 'divzero', 'ptemod'] as const;
export type NanoWorkloadName = (typeof NANO_WORKLOAD_NAMES)[number];

export interface NanoWorkload {
  readonly name: NanoWorkloadName;
  /** bench/nanobench/guests/SOURCE */
  readonly source: string;
  /** One line on what one operation is. */
  readonly operation: string;
}

export const NANO_WORKLOADS: readonly NanoWorkload[] = [
  { name: 'syscall', source: 'syscall.S', operation: 'INT 80h from CPL 3 through a DPL 3 trap gate to a ring-0 handler that counts and IRETs' },
  { name: 'in', source: 'in.S', operation: 'IN AL, 80h (the POST port) at CPL 0' },
  { name: 'cr8wr', source: 'cr8wr.S', operation: "MOV to the local APIC's TPR at FEE00080h (CR8 in 64-bit mode), alternating 20h and 0, at CPL 0" },
  { name: 'call/ret', source: 'callret.S', operation: 'near CALL to a routine that counts and RETs, at CPL 0' },
  { name: 'pgfault', source: 'pgfault.S', operation: 'read of a not-present page: #PF, the handler sets P and IRETs, the read retries; then P cleared and INVLPG' },
  { name: 'divzero', source: 'divzero.S', operation: 'DIV by zero: #DE to a handler that steps over the DIV and IRETs' },
  { name: 'ptemod', source: 'ptemod.S', operation: "rewrite a page's PTE (toggle its frame), INVLPG, read through the page" },
];

export const NANO_GUEST_DIR = join(PROJECT_ROOT, 'bench', 'nanobench', 'guests');
export const NANO_BUILD_DIR = join(GUEST_BUILD_DIR, 'nanobench');
const SYSTEM_GUEST_DIR = join(PROJECT_ROOT, 'test', 'system', 'guests');

export function nanoWorkload(name: string): NanoWorkload | undefined {
  return NANO_WORKLOADS.find((w) => w.name === name);
}

/** The image's file name (the first word of the command line, as QEMU passes it). */
export function nanoImageName(w: NanoWorkload): string {
  return w.source.replace(/\.S$/, '.elf');
}

/** Build the workload's multiboot ELF if stale; returns its path. */
export function buildNanoGuest(w: NanoWorkload): string {
  const out = join(NANO_BUILD_DIR, nanoImageName(w));
  buildLinkedGuest([join(SYSTEM_GUEST_DIR, 'lib.S'), join(NANO_GUEST_DIR, 'nano.S'), join(NANO_GUEST_DIR, w.source)], out, {
    linkerScript: join(SYSTEM_GUEST_DIR, 'link.ld'),
    dependencies: [join(SYSTEM_GUEST_DIR, 'lib.inc'), join(NANO_GUEST_DIR, 'nano.inc')],
  });
  return out;
}
