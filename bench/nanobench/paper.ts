/**
 * The paper the nanobenchmarks reproduce, and its published figures.
 *
 * Keith Adams and Ole Agesen, "A Comparison of Software and Hardware
 * Techniques for x86 Virtualization", ASPLOS XII (2006), section 6
 * (nanobenchmarks: syscall, in, cr8wr, call/ret, pgfault, divzero,
 * ptemod), measured on a 3.8 GHz Pentium 4 672 with VT-x: native
 * execution, VMware's software VMM (binary translation) and their
 * hardware VMM (VT-x), in CPU cycles.
 *
 * The counts below are the ones the paper states in the text of its
 * nanobenchmark section (the figure itself plots them on a log scale).
 * Where the text gives only a relation, the count is null and `stated`
 * says what the paper says, rather than a number derived from it:
 * syscall's software VMM "approximately 2000 more cycles than a native
 * system call" (the hardware VMM at native speed), in's software VMM
 * "fifteen times faster than native", cr8wr's native "about four times"
 * the software VMM's 35 cycles (the hardware VMM similar to native), and
 * ptemod's native "single cycle store".
 */
import type { NanoWorkloadName } from './workloads.js';

/** The clock of the paper's Pentium 4 672, to turn its cycles into nanoseconds. */
export const PAPER_CPU_GHZ = 3.8;

export const PAPER_CITATION = 'Adams & Agesen, "A Comparison of Software and Hardware Techniques for x86 Virtualization", ASPLOS 2006, section 6 (Pentium 4 672, 3.8 GHz)';

/** Cycles of one operation as published; null where we do not have the published number. */
export interface PaperCycles {
  readonly native: number | null;
  readonly softwareVmm: number | null;
  readonly hardwareVmm: number | null;
  /** What the paper's text says where it gives a relation rather than a count. */
  readonly stated?: string;
}

export const PAPER_CYCLES: Readonly<Record<NanoWorkloadName, PaperCycles>> = {
  syscall: { native: null, softwareVmm: null, hardwareVmm: null, stated: 'sw VMM ~2000 cycles above native; hw VMM at native speed' },
  in: { native: 3209, softwareVmm: null, hardwareVmm: 15826, stated: 'sw VMM fifteen times faster than native' },
  cr8wr: { native: null, softwareVmm: 35, hardwareVmm: null, stated: 'sw VMM about four times faster than native; hw VMM similar to native' },
  'call/ret': { native: 11, softwareVmm: 51, hardwareVmm: 11 },
  pgfault: { native: 1093, softwareVmm: 3927, hardwareVmm: 11242 },
  divzero: { native: 889, softwareVmm: 3223, hardwareVmm: 1014 },
  ptemod: { native: null, softwareVmm: 391, hardwareVmm: 12733, stated: 'native: a single-cycle store' },
};

/** Cycles on the paper's CPU as nanoseconds. */
export function paperCyclesToNs(cycles: number): number {
  return cycles / PAPER_CPU_GHZ;
}

/** Whether any published count is filled in (the table says so when none is). */
export function havePaperCycles(): boolean {
  return Object.values(PAPER_CYCLES).some((c) => c.native !== null || c.softwareVmm !== null || c.hardwareVmm !== null);
}
