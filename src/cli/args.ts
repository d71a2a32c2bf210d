/**
 * Command-line parsing for `wasmvisor`, following QEMU's flags where they
 * exist (single dash, value as the next argument; a double dash is
 * accepted too, as QEMU does). Pure: argv in, options or a UsageError out.
 */
import { CPU_MODELS, CpuModelError, parseCpuModel } from '../../runtime/cpu-model.js';
import { PAGING_POLICY_NAMES, type PagingPolicyName } from '../../runtime/mmu.js';
import { MAX_MEMORY_MIB, MIN_MEMORY_MIB, TIERS } from '../machine.js';

export const DEFAULT_MEMORY_MIB = 128; // QEMU's default for x86 PCs
/** The execution tier when none is asked for. */
export const DEFAULT_STRATEGY = 'interpreter';
/** The JIT strategy --dump-wasm runs when no --strategy is given. */
export const DEFAULT_DUMP_STRATEGY = 'jit-hot';

export interface CliOptions {
  /** Flat binary to boot; undefined runs the bundled demo guest. */
  kernel?: string;
  memoryMiB: number;
  /** `-cpu`'s argument: a model name with optional ,+feature / ,-feature. */
  cpu: string;
  /** `--paging`: the MMU's paging policy (default: the machine's, 'nested'). */
  paging?: PagingPolicyName;
  stats: boolean;
  help: boolean;
  /** `-cpu help`: list the models and stop. */
  listCpus: boolean;
  /** Execution tier: 'interpreter' or a JIT strategy name (runtime/jit/strategies.ts). */
  strategy: string;
  /** Directory to write every compiled module to (NAME.wasm, and NAME.wat at exit). */
  dumpWasm?: string;
}

/** A bad command line: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const HELP = `usage: wasmvisor [options]

Runs a 32-bit x86 guest. Without -kernel, runs the bundled demo guest.

  -kernel FILE   flat binary, loaded at 1 MiB and entered in 32-bit
                 protected mode (EIP=0x100000, ESP=0x90000, paging off)
  -m SIZE        guest RAM: MiB, or with a suffix (512M, 1G); default ${DEFAULT_MEMORY_MIB}M
  -cpu MODEL[,+FEATURE|,-FEATURE]...
                 CPU model answered by CPUID: ${Object.keys(CPU_MODELS).join(', ')}
                 ('-cpu help' lists them and their features); +FEATURE adds
                 a CPUID feature the engine implements, -FEATURE hides one
  -nographic     serial console (COM1) on stdin/stdout (the default)
  -no-reboot     stop instead of rebooting on a triple fault (the default)
  --paging POLICY
                 how the MMU follows the guest's page tables: ${PAGING_POLICY_NAMES.join(', ')}
  --stats        print VM exits by reason with the host time spent handling
                 them (like kvm_stat), instructions retired and the JIT's
                 counters on stderr
  --strategy NAME
                 execution tier: '${DEFAULT_STRATEGY}' (the default) or a JIT
                 strategy: ${TIERS.filter((t) => t !== 'interpreter').join(', ')}
  --dump-wasm DIR
                 write each module the JIT compiles to DIR/NAME.wasm, and its
                 text (wabt) to DIR/NAME.wat when the run ends; runs the
                 ${DEFAULT_DUMP_STRATEGY} strategy unless --strategy names another
  -h, --help     this text

Devices: 16550A UART on COM1 (0x3f8), isa-debug-exit (iobase 0xf4, iosize 4).

Exit status:
  0              the guest halted with interrupts off (CLI; HLT)
  (v << 1) | 1   the guest wrote v to the debug-exit port (QEMU's convention)
  2              bad command line or kernel image
  6              the guest made a VM exit nothing handles yet
  8              the guest halted with interrupts on (nothing can wake it yet)
  12             the guest triple-faulted (an exception it could not take)
`;

/** Parse a QEMU-style size: a number of MiB, or with suffix M/MB/MiB, G/GB/GiB (case-insensitive). */
export function parseMemorySize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid memory size '${text}': give MiB (e.g. 128), or a size with an M or G suffix (e.g. 512M, 1G)`);
  const value = Number(m[1]);
  const unit = (m[2] ?? 'm')[0]!.toLowerCase();
  const mib = unit === 'g' ? value * 1024 : value;
  if (!Number.isInteger(mib)) throw new UsageError(`invalid memory size '${text}': must be a whole number of MiB`);
  if (mib < MIN_MEMORY_MIB || mib > MAX_MEMORY_MIB) {
    throw new UsageError(`invalid memory size '${text}': must be from ${MIN_MEMORY_MIB} MiB to ${MAX_MEMORY_MIB} MiB`);
  }
  return mib;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = { memoryMiB: DEFAULT_MEMORY_MIB, cpu: 'i686', stats: false, help: false, listCpus: false, strategy: DEFAULT_STRATEGY };
  let strategy: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // QEMU accepts --flag for every -flag.
    const flag = arg.startsWith('--') && arg !== '--stats' && arg !== '--help' ? arg.slice(1) : arg;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`option ${arg} needs a value`);
      return v;
    };
    switch (flag) {
      case '-h': case '-help': case '--help':
        opts.help = true;
        break;
      case '-kernel': {
        const k = value();
        if (k === '') throw new UsageError('option -kernel needs a file name');
        opts.kernel = k;
        break;
      }
      case '-m':
        opts.memoryMiB = parseMemorySize(value());
        break;
      case '-cpu': {
        const model = value();
        if (model === 'help' || model === '?') {
          opts.listCpus = true;
          break;
        }
        try {
          parseCpuModel(model);
        } catch (e) {
          if (e instanceof CpuModelError) throw new UsageError(e.message);
          throw e;
        }
        opts.cpu = model;
        break;
      }
      case '-paging': {
        const policy = value();
        if (!(PAGING_POLICY_NAMES as readonly string[]).includes(policy)) throw new UsageError(`unknown paging policy '${policy}' (known: ${PAGING_POLICY_NAMES.join(', ')})`);
        opts.paging = policy as PagingPolicyName;
        break;
      }
      case '-nographic': case '-no-reboot':
        break; // what we do anyway
      case '--stats':
        opts.stats = true;
        break;
      case '-strategy': {
        const name = value();
        if (!TIERS.includes(name)) throw new UsageError(`unknown strategy '${name}' (known: ${TIERS.join(', ')})`);
        strategy = name;
        break;
      }
      case '-dump-wasm': {
        const dir = value();
        if (dir === '') throw new UsageError(`option ${arg} needs a directory`);
        opts.dumpWasm = dir;
        break;
      }
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}' (see --help)`);
        throw new UsageError(`unexpected argument '${arg}': give the kernel with -kernel FILE`);
    }
  }
  if (opts.dumpWasm !== undefined && strategy === 'interpreter') {
    throw new UsageError('--dump-wasm needs a JIT strategy: the interpreter compiles no modules');
  }
  opts.strategy = strategy ?? (opts.dumpWasm !== undefined ? DEFAULT_DUMP_STRATEGY : DEFAULT_STRATEGY);
  return opts;
}
