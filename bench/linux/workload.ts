/**
 * The Linux bench's guest workload: busybox shell commands doing integer,
 * memory and floating-point work, between marker lines that the host
 * times as they reach the console. One script serves every engine and
 * the native baseline: the guest's /init runs it from `wasmvisor.cmd=` on
 * the kernel command line (guests/linux/initramfs.ts), the host runs it
 * with the same i386 busybox. Each phase prints a checksum of its result,
 * so a wrong answer shows (the host compares them with the native run's).
 *
 * The script must survive the kernel's command-line parser: it is one
 * double-quoted parameter value, so it cannot hold a double quote, and
 * x86's command line holds at most COMMAND_LINE_SIZE (2048) bytes.
 * busybox's awk here is built without its math library (no sqrt, sin),
 * so the floating-point phase uses + - * / only, whose IEEE results are
 * the same on every correct x86.
 */

/** Every marker line is this prefix and a phase name (or begin/end). */
export const MARKER_PREFIX = 'wvbench: ';
export const BEGIN = 'begin';
export const END = 'end';

/** x86's COMMAND_LINE_SIZE (arch/x86/include/asm/setup.h), the terminating NUL included. */
export const KERNEL_COMMAND_LINE_MAX = 2048;

/** The kernel command line every engine boots with, before wasmvisor.cmd= (the project's usual Linux line). */
export const BASE_COMMAND_LINE = 'console=ttyS0 cryptomgr.notests';

export type PhaseName = 'int' | 'mem' | 'fp';

export interface Phase {
  readonly name: PhaseName;
  /** For people: what the phase exercises. */
  readonly what: string;
  /** Shell commands, each printing one checksum line. */
  readonly commands: readonly string[];
}

/** Workload sizes: `full` for the bench, `quick` (about a quarter) for --quick and the tests. */
export type WorkloadSize = 'full' | 'quick';

/** Loop counts per size: the full workload takes about 0.3 s natively on this project's 2-core host, about 5 s in QEMU TCG. */
const COUNTS: Readonly<Record<WorkloadSize, { shellLoop: number; ddBlocks: number; sortLines: number; awkLoop: number }>> = {
  full: { shellLoop: 16_000, ddBlocks: 128, sortLines: 50_000, awkLoop: 100_000 },
  quick: { shellLoop: 4_000, ddBlocks: 32, sortLines: 12_500, awkLoop: 25_000 },
};

/** The phases of the workload at a size. */
export function workloadPhases(size: WorkloadSize): Phase[] {
  const n = COUNTS[size];
  return [
    {
      name: 'int',
      what: 'shell arithmetic: a multiply-modulo hash loop in ash',
      commands: [`i=0; s=0; while [ $i -lt ${n.shellLoop} ]; do s=$(( (s*31 + i) % 1000003 )); i=$((i+1)); done; echo $s`],
    },
    {
      name: 'mem',
      what: `memory: ${n.ddBlocks * 64} KiB through a pipe into md5sum, ${n.sortLines} lines written, sorted and hashed in the page cache`,
      commands: [
        `dd if=/dev/zero bs=64k count=${n.ddBlocks} 2>/dev/null | md5sum`,
        // In the working directory: the guest's / (the initramfs, in RAM), the native run's own temporary folder.
        `seq 1 ${n.sortLines} > wvbench.a; sort -r wvbench.a > wvbench.b; cat wvbench.b wvbench.a | md5sum; rm -f wvbench.a wvbench.b`,
      ],
    },
    {
      name: 'fp',
      what: 'floating point: awk sums the Leibniz series for pi/4 and a compound-growth recurrence in doubles',
      commands: [
        `awk 'BEGIN { x = 0; s = 1; for (i = 0; i < ${n.awkLoop}; i++) { x += s / (2 * i + 1); s = -s }; y = 1; for (i = 1; i <= ${n.awkLoop / 2}; i++) y = y * 1.0000001 + 1 / i; print int(x * 1e9), int(y * 1e6) }'`,
      ],
    },
  ];
}

/**
 * The workload as one line of sh: a marker before the first phase, one
 * before each phase and one after the last. Markers are whole lines that
 * start with MARKER_PREFIX, so the guest's echo of the command
 * (`wasmvisor: running: ...`) cannot be mistaken for one.
 */
export function workloadScript(phases: readonly Phase[]): string {
  const parts = [`wvbench_mark() { echo ${MARKER_PREFIX.trimEnd()} $1; }`, `wvbench_mark ${BEGIN}`];
  for (const p of phases) parts.push(`wvbench_mark ${p.name}`, ...p.commands);
  parts.push(`wvbench_mark ${END}`);
  const script = parts.join('; ');
  if (script.includes('"') || script.includes('\n')) throw new Error('the workload script must not contain a double quote or a newline (the kernel command line cannot carry them)');
  return script;
}

/** The kernel command line that boots to /init and runs the script (throws when it is too long for the kernel). */
export function kernelCommandLine(script: string): string {
  const line = `${BASE_COMMAND_LINE} wasmvisor.cmd="${script}"`;
  if (Buffer.byteLength(line) >= KERNEL_COMMAND_LINE_MAX) {
    throw new Error(`the kernel command line is ${Buffer.byteLength(line)} bytes; x86 takes at most ${KERNEL_COMMAND_LINE_MAX - 1}`);
  }
  return line;
}
