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
 * The cycle counts are published in the paper's nanobenchmark figure. We
 * could not read them from any source available to this project (the
 * stored copies of the paper we could search expose only its first
 * page), so every count below is null rather than a guess: put the
 * published numbers in, from the paper, with the page they come from,
 * and the report's paper columns fill in by themselves.
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
}

export const PAPER_CYCLES: Readonly<Record<NanoWorkloadName, PaperCycles>> = {
  syscall: { native: null, softwareVmm: null, hardwareVmm: null },
  in: { native: null, softwareVmm: null, hardwareVmm: null },
  cr8wr: { native: null, softwareVmm: null, hardwareVmm: null },
  'call/ret': { native: null, softwareVmm: null, hardwareVmm: null },
  pgfault: { native: null, softwareVmm: null, hardwareVmm: null },
  divzero: { native: null, softwareVmm: null, hardwareVmm: null },
  ptemod: { native: null, softwareVmm: null, hardwareVmm: null },
};

/** Cycles on the paper's CPU as nanoseconds. */
export function paperCyclesToNs(cycles: number): number {
  return cycles / PAPER_CPU_GHZ;
}

/** Whether any published count is filled in (the table says so when none is). */
export function havePaperCycles(): boolean {
  return Object.values(PAPER_CYCLES).some((c) => c.native !== null || c.softwareVmm !== null || c.hardwareVmm !== null);
}
