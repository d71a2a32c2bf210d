/**
 * The `wasmvisor` command: parse the QEMU-style command line, build a
 * machine, load the kernel (or the bundled demo guest), run it with COM1
 * on stdout, and map the outcome to an exit status.
 */
import { createMachine, RunStatus } from '../machine.js';
import { loadFlat, readImageFile } from '../loaders/flat.js';
import { ensureDemoGuest } from '../toolchain.js';
import { ConfigError } from '../errors.js';
import { CPU_MODELS } from '../../runtime/cpu-model.js';
import { HELP, parseArgs, UsageError, type CliOptions } from './args.js';

export interface CliIo {
  stdout: (bytes: Uint8Array | string) => void;
  stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (b) => { process.stdout.write(b); },
  stderr: (t) => { process.stderr.write(t); },
};

export const EXIT_USAGE = 2;

/** Run the CLI; returns the process exit status. */
export function main(argv: readonly string[], io: CliIo = processIo): number {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`wasmvisor: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (opts.help) {
    io.stdout(HELP);
    return 0;
  }
  if (opts.listCpus) {
    for (const m of Object.values(CPU_MODELS)) io.stdout(`${m.name.padEnd(10)} ${m.brand} (family ${m.family} model ${m.model})\n`);
    return 0;
  }

  let kernel = opts.kernel;
  if (kernel === undefined) {
    try {
      kernel = ensureDemoGuest();
    } catch (e) {
      io.stderr(`wasmvisor: cannot build the bundled demo guest: ${(e as Error).message}\n`);
      return 1;
    }
  }

  let machine;
  try {
    const image = readImageFile(kernel);
    machine = createMachine({ memoryMiB: opts.memoryMiB, cpu: opts.cpu, serial: (b) => io.stdout(b) });
    loadFlat(machine, image, kernel);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`wasmvisor: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }

  const result = machine.run();
  if (result.status !== RunStatus.Halted && result.outcome.kind !== 'debug-exit') io.stderr(`wasmvisor: ${result.message}\n`);
  if (opts.stats) {
    const lines = [`--- stats: ${result.message}`];
    lines.push(`instructions retired: ${result.retired}`);
    lines.push(`seconds: ${result.seconds.toFixed(3)}  (${(result.retired / result.seconds / 1e6).toFixed(2)} MIPS)`);
    lines.push('VM exits by reason:');
    const counts = machine.exitCounts();
    if (counts.size === 0) lines.push('  (none)');
    for (const [name, n] of counts) lines.push(`  ${name.padEnd(24)} ${n}`);
    io.stderr(lines.join('\n') + '\n');
  }
  return result.status;
}
