/**
 * Command-line parsing for `wasmvisor`, following QEMU's flags where they
 * exist (single dash, value as the next argument; a double dash is
 * accepted too, as QEMU does). Pure: argv in, options or a UsageError out.
 */
import { CPU_MODELS, CpuModelError, parseCpuModel } from '../../runtime/cpu-model.js';
import { PAGING_POLICY_NAMES, type PagingPolicyName } from '../../runtime/mmu.js';
import { MAX_MEMORY_MIB, MIN_MEMORY_MIB, TIERS } from '../machine.js';
import { parseMac } from '../../runtime/devices/virtio/net.js';
import { parseHostPort } from '../../runtime/devices/virtio/net-backend.js';
import { KERNEL_UNPACK_MODES, type KernelUnpack } from '../loaders/linux.js';

export const DEFAULT_MEMORY_MIB = 128; // QEMU's default for x86 PCs
/**
 * The execution tier when none is asked for: the JIT strategy of the main
 * job and the Linux bench (Debian's kernel reaches /init about eight times
 * sooner than in the interpreter). `--strategy interpreter` runs without
 * the JIT.
 */
export const DEFAULT_STRATEGY = 'jit-inline';
/** The JIT strategy --dump-wasm runs when no --strategy is given. */
export const DEFAULT_DUMP_STRATEGY = 'jit-hot';

/** A virtio-blk disk: a raw image file. */
export interface DriveSpec {
  file: string;
  readOnly: boolean;
}

/** A virtio-net NIC on a socket netdev (exactly one of listen and connect, as QEMU's host:port). */
export interface NicSpec {
  netdev: string;
  listen?: string;
  connect?: string;
  /** xx:xx:xx:xx:xx:xx; absent: 52:54:00:12:34:56 counting up per NIC. */
  mac?: string;
}

/** A virtio console: where its output goes (a file, or stdout; on stdout it may take stdin too: src/cli/stdin.ts). */
export interface ConsoleSpec {
  path?: string;
}

/** Where a character device (COM1, debugcon) goes: QEMU's stdio, file:PATH, none. */
export type CharDev = { kind: 'stdio' } | { kind: 'file'; path: string } | { kind: 'none' };

export interface CliOptions {
  /** Kernel to boot (bzImage, multiboot, or flat binary); undefined runs the bundled demo guest. */
  kernel?: string;
  /** `-initrd`: the initial ramdisk (bzImage), or comma-separated modules (multiboot). */
  initrd?: string;
  /** `-append`: the kernel command line. */
  append?: string;
  /** `-bios`: a BIOS ROM image mapped below 4 GiB and below 1 MiB. */
  bios?: string;
  /** `-serial`: where COM1 goes (default stdio). */
  serial: CharDev;
  /** `-debugcon`: where port 0xE9's bytes go; absent: no debugcon. */
  debugcon?: CharDev;
  /** `-device isa-debug-exit,...`: its port range (the machine has one at 0xF4 without the flag too). */
  debugExit?: { iobase: number; iosize: number };
  /** `-no-reboot`: a reset or triple fault ends the run instead of rebooting. */
  noReboot: boolean;
  /** `-icount shift=N`: guest time is 2^N ns per retired instruction (reproducible runs); absent: the host's clock. */
  icountShift?: number;
  /** `-nographic`: the serial console on stdin/stdout (raw mode on a terminal; Ctrl-A X quits). */
  nographic: boolean;
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
  /** `--kernel-unpack`: unpack a bzImage's compressed kernel on the host (default) or let its decompressor run in the guest. */
  kernelUnpack: KernelUnpack;
  /** `-drive if=virtio` and `-device virtio-blk-pci,drive=ID`, in PCI slot order. */
  virtioBlk: DriveSpec[];
  /** `-device virtio-net-pci,netdev=ID` with its `-netdev socket`. */
  virtioNet: NicSpec[];
  /** `-device virtio-console`. */
  virtioConsole: ConsoleSpec[];
}

/** A bad command line: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const HELP = `usage: wasmvisor [options]

Runs a 32-bit x86 guest. Without -kernel, runs the bundled demo guest.

  -kernel FILE   the kernel: a Linux bzImage (32-bit boot protocol), a
                 multiboot image, or else a flat binary, loaded at 1 MiB and
                 entered in 32-bit protected mode (EIP=0x100000,
                 ESP=0x90000, paging off)
  -initrd FILE   initial ramdisk for a bzImage; for a multiboot kernel, a
                 comma-separated list of modules ('file args,file2')
  -append CMDLINE
                 the kernel command line (bzImage, multiboot)
  -bios FILE     BIOS ROM image (a multiple of 64 KiB): mapped at the top
                 of 4 GiB and copied below 1 MiB; the CPU starts at its
                 reset vector (not together with -kernel)
  -m SIZE        guest RAM: MiB, or with a suffix (512M, 1G); default ${DEFAULT_MEMORY_MIB}M
  -smp N         number of CPUs: only 1 is supported
  -cpu MODEL[,+FEATURE|,-FEATURE]...
                 CPU model answered by CPUID: ${Object.keys(CPU_MODELS).join(', ')}
                 ('-cpu help' lists them and their features); +FEATURE adds
                 a CPUID feature the engine implements, -FEATURE hides one
  -nographic     serial console (COM1) on stdin/stdout; on a terminal, in
                 raw mode: Ctrl-A X quits, Ctrl-A Ctrl-A sends Ctrl-A
                 (without -nographic, or with COM1 elsewhere, COM1 gets
                 no input)
  -serial DEV    where COM1 goes: stdio (the default), file:PATH, none
  -debugcon DEV  the debug console on port 0xe9: stdio, file:PATH, none
  -device isa-debug-exit[,iobase=ADDR][,iosize=N]
                 QEMU's debug-exit device (present at 0xf4, size 4, even
                 without this flag); writing v exits with (v << 1) | 1
  -drive file=IMG,if=virtio,format=raw[,readonly=on]
                 a raw disk image as a virtio-blk disk (/dev/vda, vdb, ...);
                 with if=none,id=ID it waits for -device virtio-blk-pci,drive=ID
  -netdev socket,id=ID,listen=[HOST]:PORT | connect=[HOST]:PORT
                 a network backend joined to another wasmvisor (or QEMU)
                 over TCP; with listen= the guest runs at once and frames
                 it sends before the peer connects are dropped (as QEMU);
                 a connect= that is refused exits 1. Port 0 listens on a
                 free port, named on stderr ('ID: listening on HOST:PORT')
  -device virtio-net-pci,netdev=ID[,mac=52:54:00:12:34:56]
                 a virtio-net NIC on that backend (default MAC 52:54:00:12:34:56,
                 counting up per NIC; two guests that talk need different ones)
  -device virtio-console[,path=FILE]
                 a virtio console (/dev/hvc0, ...) writing to FILE, or to
                 stdout without path= (our short form of QEMU's
                 -device virtio-serial-pci -device virtconsole). When COM1
                 is not on stdio (-serial none or file:PATH), stdin feeds
                 the first virtio console on stdout, with -nographic's
                 raw mode and Ctrl-A keys; input that comes before its
                 driver is ready is held for it (Linux drops what arrives
                 while its driver starts: type once the guest is up)
  -icount [shift=]N
                 guest time advances 2^N ns per instruction retired (and
                 jumps to the next timer when the guest idles): the same
                 run every time, whatever the host's speed; default: guest
                 time counts instructions at a rate retuned to keep up
                 with the host's clock (as QEMU's shift=auto)
  -no-reboot     stop on a reset or triple fault (status 14 or 12) instead
                 of resetting the machine and booting the kernel again
  --paging POLICY
                 how the MMU follows the guest's page tables: ${PAGING_POLICY_NAMES.join(', ')}
  --stats        print VM exits by reason with the host time spent handling
                 them (like kvm_stat), instructions retired and the JIT's
                 counters on stderr
  --strategy NAME
                 execution tier: the interpreter ('interpreter') or a JIT
                 strategy: ${TIERS.filter((t) => t !== 'interpreter').join(', ')};
                 '${DEFAULT_STRATEGY}' unless given
  --kernel-unpack host|guest
                 where a bzImage's compressed kernel is unpacked: 'host'
                 (the default: an XZ or gzip payload is decompressed here
                 and the kernel entered at its own 32-bit entry) or 'guest'
                 (its decompressor runs in the guest, as on real hardware)
  --dump-wasm DIR
                 write each module the JIT compiles to DIR/NAME.wasm, and its
                 text (wabt) to DIR/NAME.wat when the run ends; runs the
                 ${DEFAULT_DUMP_STRATEGY} strategy unless --strategy names another
  -h, --help     this text

Devices: 8259A pair, 8254 PIT, RTC/CMOS, 16550A UART on COM1 (0x3f8, IRQ 4),
8042, local APIC and I/O APIC (P6 models), isa-debug-exit (iobase 0xf4,
iosize 4), PCI (i440FX, PIIX3); virtio devices on IRQ 10 (blk), 11 (net),
5 (console). Guest time follows the host's clock unless -icount shift=N is given.

Exit status:
  0              the guest halted for good (HLT with interrupts off: halt,
                 poweroff), or Ctrl-A X
  (v << 1) | 1   the guest wrote v to the debug-exit port (QEMU's convention)
  1              a -netdev socket could not listen or connect
  2              bad command line, kernel image or disk image
  6              the guest made a VM exit nothing handles yet
  8              the guest halted with interrupts on and no timer armed
  12             the guest triple-faulted (an exception it could not take),
                 with -no-reboot
  14             the guest reset the machine, with -no-reboot
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

/** `-smp`: QEMU's 'N' or 'cpus=N[,...]'; only one CPU exists. */
function parseSmp(text: string): void {
  const m = /^(?:cpus=)?(\d+)(?:,.*)?$/.exec(text);
  if (!m) throw new UsageError(`invalid -smp '${text}': give a number of CPUs (only 1 is supported)`);
  if (Number(m[1]) !== 1) throw new UsageError(`-smp ${m[1]}: only one CPU is supported`);
}

/** A character device as QEMU spells it: stdio, file:PATH, none (null too). */
export function parseCharDev(text: string, option: string): CharDev {
  if (text === 'stdio') return { kind: 'stdio' };
  if (text === 'none' || text === 'null') return { kind: 'none' };
  if (text.startsWith('file:')) {
    const path = text.slice(5);
    if (path === '') throw new UsageError(`${option} file: needs a path`);
    return { kind: 'file', path };
  }
  throw new UsageError(`unsupported ${option} '${text}': use stdio, file:PATH or none`);
}

/**
 * QEMU's option syntax: `first,key=value,...`, a doubled comma standing
 * for a comma inside a value (file names). Returns the parts, unescaped.
 */
export function splitOptionList(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ',' && text[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

/** key=value properties of `option`, each key at most once and among `known`. */
function parseProps(parts: readonly string[], option: string, known: readonly string[]): Map<string, string> {
  const props = new Map<string, string>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid ${option} property '${p}': expected key=value`);
    const key = p.slice(0, eq);
    if (!known.includes(key)) throw new UsageError(`${option} has no property '${key}' (known: ${known.join(', ')})`);
    if (props.has(key)) throw new UsageError(`${option} property '${key}' given twice`);
    props.set(key, p.slice(eq + 1));
  }
  return props;
}

/** QEMU's on/off (yes/no, true/false too). */
function parseOnOff(value: string, what: string): boolean {
  if (['on', 'yes', 'true'].includes(value)) return true;
  if (['off', 'no', 'false'].includes(value)) return false;
  throw new UsageError(`invalid ${what} '${value}': use on or off`);
}

/** `-drive`: a raw image for virtio-blk, attached at once (if=virtio) or by a -device later (if=none,id=ID). */
export function parseDrive(text: string): DriveSpec & { id?: string; attach: boolean } {
  const props = parseProps(splitOptionList(text), '-drive', ['file', 'if', 'format', 'readonly', 'id', 'media', 'cache']);
  const file = props.get('file');
  if (file === undefined || file === '') throw new UsageError(`-drive '${text}' needs file=IMAGE`);
  const iface = props.get('if') ?? 'virtio';
  if (iface !== 'virtio' && iface !== 'none') throw new UsageError(`-drive if=${iface}: only if=virtio (or if=none with -device virtio-blk-pci) is supported`);
  const format = props.get('format') ?? 'raw';
  if (format !== 'raw') throw new UsageError(`-drive format=${format}: only raw images are supported`);
  const media = props.get('media') ?? 'disk';
  if (media !== 'disk') throw new UsageError(`-drive media=${media}: only disks are supported`);
  const id = props.get('id');
  if (iface === 'none' && id === undefined) throw new UsageError(`-drive if=none needs id=ID for -device virtio-blk-pci,drive=ID`);
  return { file, readOnly: parseOnOff(props.get('readonly') ?? 'off', '-drive readonly'), id, attach: iface === 'virtio' };
}

/** `-netdev`: only socket, with an id and exactly one of listen= and connect=. */
export function parseNetdev(text: string): { id: string; listen?: string; connect?: string } {
  const [kind, ...rest] = splitOptionList(text);
  if (kind !== 'socket') throw new UsageError(`unsupported -netdev '${kind}': only socket (listen= or connect=) is supported`);
  const props = parseProps(rest, '-netdev socket', ['id', 'listen', 'connect']);
  const id = props.get('id');
  if (!id) throw new UsageError(`-netdev socket needs id=ID`);
  const listen = props.get('listen');
  const connect = props.get('connect');
  if ((listen === undefined) === (connect === undefined)) throw new UsageError(`-netdev socket,id=${id} needs exactly one of listen=[HOST]:PORT and connect=[HOST]:PORT`);
  try {
    if (listen !== undefined) parseHostPort(listen, 'listen');
    else parseHostPort(connect!, 'connect');
  } catch (e) {
    throw new UsageError(`-netdev socket,id=${id}: ${(e as Error).message}`);
  }
  return listen !== undefined ? { id, listen } : { id, connect };
}

/** What `-device` adds. */
export type DeviceSpec =
  | { kind: 'isa-debug-exit'; iobase: number; iosize: number }
  | { kind: 'virtio-blk-pci'; drive: string }
  | { kind: 'virtio-net-pci'; netdev: string; mac?: string }
  | { kind: 'virtio-console'; path?: string };

/** `-device`: isa-debug-exit, virtio-blk-pci, virtio-net-pci or virtio-console, with their properties. */
export function parseDeviceSpec(text: string): DeviceSpec {
  const [name, ...rest] = splitOptionList(text);
  switch (name) {
    case 'isa-debug-exit':
      return { kind: 'isa-debug-exit', ...parseDevice(text) };
    case 'virtio-blk-pci': case 'virtio-blk': {
      const drive = parseProps(rest, `-device ${name}`, ['drive']).get('drive');
      if (!drive) throw new UsageError(`-device ${name} needs drive=ID (a -drive if=none,id=ID)`);
      return { kind: 'virtio-blk-pci', drive };
    }
    case 'virtio-net-pci': case 'virtio-net': {
      const props = parseProps(rest, `-device ${name}`, ['netdev', 'mac']);
      const netdev = props.get('netdev');
      if (!netdev) throw new UsageError(`-device ${name} needs netdev=ID (a -netdev socket,id=ID,...)`);
      const mac = props.get('mac');
      if (mac !== undefined) {
        try {
          parseMac(mac);
        } catch (e) {
          throw new UsageError(`-device ${name}: ${(e as Error).message}`);
        }
      }
      return mac === undefined ? { kind: 'virtio-net-pci', netdev } : { kind: 'virtio-net-pci', netdev, mac };
    }
    case 'virtio-console': {
      const path = parseProps(rest, '-device virtio-console', ['path']).get('path');
      if (path === '') throw new UsageError('-device virtio-console,path= needs a file name');
      return path === undefined ? { kind: 'virtio-console' } : { kind: 'virtio-console', path };
    }
    default:
      throw new UsageError(`unsupported -device '${name}': isa-debug-exit, virtio-blk-pci, virtio-net-pci and virtio-console can be added`);
  }
}

/** `-device isa-debug-exit`, with QEMU's iobase and iosize properties. */
export function parseDevice(text: string): { iobase: number; iosize: number } {
  const [name, ...props] = text.split(',');
  if (name !== 'isa-debug-exit') throw new UsageError(`unsupported -device '${name}': only isa-debug-exit can be added`);
  const out = { iobase: 0xf4, iosize: 4 };
  for (const p of props) {
    const m = /^(iobase|iosize)=(0x[0-9a-f]+|\d+)$/i.exec(p);
    if (!m) throw new UsageError(`invalid isa-debug-exit property '${p}': use iobase=ADDR, iosize=N`);
    const v = Number(m[2]);
    if (m[1]!.toLowerCase() === 'iobase') out.iobase = v;
    else out.iosize = v;
  }
  if (out.iosize < 1 || out.iosize > 4 || out.iobase + out.iosize > 0x10000) {
    throw new UsageError(`isa-debug-exit at ${out.iobase.toString(16)}h, size ${out.iosize}: must lie in the 64 KiB I/O space, 1 to 4 ports`);
  }
  return out;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = {
    memoryMiB: DEFAULT_MEMORY_MIB, cpu: 'i686', stats: false, help: false, listCpus: false, strategy: DEFAULT_STRATEGY,
    serial: { kind: 'stdio' }, noReboot: false, nographic: false, virtioBlk: [], virtioNet: [], virtioConsole: [], kernelUnpack: 'host',
  };
  let strategy: string | undefined;
  /** -drive if=none by id, and whether a -device took it. */
  const drives = new Map<string, DriveSpec & { used: boolean }>();
  const netdevs = new Map<string, { listen?: string; connect?: string; used: boolean }>();
  /** -device virtio-net-pci in order; resolved once every -netdev is known (QEMU accepts either order). */
  const nics: { netdev: string; mac?: string }[] = [];
  /** -device virtio-blk-pci in order, with the slot of the disk list it takes. */
  const blkRefs: { drive: string; index: number }[] = [];
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
      case '-nographic':
        opts.nographic = true;
        break;
      case '-no-reboot':
        opts.noReboot = true;
        break;
      case '-initrd': {
        const f = value();
        if (f === '') throw new UsageError('option -initrd needs a file name');
        opts.initrd = f;
        break;
      }
      case '-append':
        opts.append = value();
        break;
      case '-bios': {
        const f = value();
        if (f === '') throw new UsageError('option -bios needs a file name');
        opts.bios = f;
        break;
      }
      case '-smp':
        parseSmp(value());
        break;
      case '-serial':
        opts.serial = parseCharDev(value(), '-serial');
        break;
      case '-debugcon':
        opts.debugcon = parseCharDev(value(), '-debugcon');
        break;
      case '-device': {
        const d = parseDeviceSpec(value());
        if (d.kind === 'isa-debug-exit') opts.debugExit = { iobase: d.iobase, iosize: d.iosize };
        else if (d.kind === 'virtio-net-pci') nics.push(d.mac === undefined ? { netdev: d.netdev } : { netdev: d.netdev, mac: d.mac });
        else if (d.kind === 'virtio-console') opts.virtioConsole.push(d.path === undefined ? {} : { path: d.path });
        else {
          // Keep the disk's place among the disks; the image is filled in when its -drive is known.
          blkRefs.push({ drive: d.drive, index: opts.virtioBlk.length });
          opts.virtioBlk.push({ file: '', readOnly: false });
        }
        break;
      }
      case '-drive': {
        const d = parseDrive(value());
        if (d.id !== undefined && drives.has(d.id)) throw new UsageError(`-drive id=${d.id} given twice`);
        if (d.attach) opts.virtioBlk.push({ file: d.file, readOnly: d.readOnly });
        if (d.id !== undefined) drives.set(d.id, { file: d.file, readOnly: d.readOnly, used: d.attach });
        break;
      }
      case '-netdev': {
        const n = parseNetdev(value());
        if (netdevs.has(n.id)) throw new UsageError(`-netdev id=${n.id} given twice`);
        netdevs.set(n.id, { ...n, used: false });
        break;
      }
      case '-icount': {
        const text = value();
        const m = /^(?:shift=)?(\d+)$/.exec(text);
        if (!m || Number(m[1]) > 10) throw new UsageError(`invalid -icount '${text}': give shift=N with N from 0 to 10 (2^N ns per instruction)`);
        opts.icountShift = Number(m[1]);
        break;
      }
      case '--stats':
        opts.stats = true;
        break;
      case '-strategy': {
        const name = value();
        if (!TIERS.includes(name)) throw new UsageError(`unknown strategy '${name}' (known: ${TIERS.join(', ')})`);
        strategy = name;
        break;
      }
      case '-kernel-unpack': {
        const mode = value();
        if (!(KERNEL_UNPACK_MODES as readonly string[]).includes(mode)) throw new UsageError(`invalid --kernel-unpack '${mode}' (give ${KERNEL_UNPACK_MODES.join(' or ')})`);
        opts.kernelUnpack = mode as KernelUnpack;
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
  for (const ref of blkRefs) {
    const d = drives.get(ref.drive);
    if (!d) throw new UsageError(`-device virtio-blk-pci,drive=${ref.drive}: no -drive with id=${ref.drive}`);
    if (d.used) throw new UsageError(`-drive id=${ref.drive} is used by more than one device`);
    d.used = true;
    opts.virtioBlk[ref.index] = { file: d.file, readOnly: d.readOnly };
  }
  for (const [id, d] of drives) if (!d.used) throw new UsageError(`-drive if=none,id=${id} is not used by any -device virtio-blk-pci,drive=${id}`);
  for (const nic of nics) {
    const n = netdevs.get(nic.netdev);
    if (!n) throw new UsageError(`-device virtio-net-pci,netdev=${nic.netdev}: no -netdev with id=${nic.netdev}`);
    if (n.used) throw new UsageError(`-netdev ${nic.netdev} is used by more than one device`);
    n.used = true;
    opts.virtioNet.push({ netdev: nic.netdev, ...(n.listen !== undefined ? { listen: n.listen } : { connect: n.connect! }), ...(nic.mac !== undefined ? { mac: nic.mac } : {}) });
  }
  for (const [id, n] of netdevs) if (!n.used) throw new UsageError(`-netdev ${id} is not used by any -device virtio-net-pci,netdev=${id}`);
  if (opts.bios !== undefined && opts.kernel !== undefined) {
    throw new UsageError('-bios and -kernel together are not supported: there is no fw_cfg to hand the kernel to the BIOS; give one of them');
  }
  if (opts.kernel === undefined && (opts.initrd !== undefined || opts.append !== undefined)) {
    throw new UsageError(`${opts.initrd !== undefined ? '-initrd' : '-append'} needs -kernel`);
  }
  if (opts.serial.kind === 'stdio' && opts.debugcon?.kind === 'stdio') {
    throw new UsageError("-serial and -debugcon cannot both be 'stdio'");
  }
  if (opts.dumpWasm !== undefined && strategy === 'interpreter') {
    throw new UsageError('--dump-wasm needs a JIT strategy: the interpreter compiles no modules');
  }
  opts.strategy = strategy ?? (opts.dumpWasm !== undefined ? DEFAULT_DUMP_STRATEGY : DEFAULT_STRATEGY);
  return opts;
}
