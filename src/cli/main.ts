/**
 * The `wasmvisor` command: parse the QEMU-style command line, build a PC
 * with the chosen execution tier and guest time following the host's
 * clock (paced instruction counting, as QEMU's -icount shift=auto; a fixed
 * rate with -icount shift=N), load the kernel (bzImage, multiboot or flat; or the bundled demo
 * guest) or a BIOS, run it with COM1 where -serial says (stdout by
 * default; with -nographic, stdin feeds it too, in raw mode on a
 * terminal, where Ctrl-A X quits; with COM1 elsewhere, stdin feeds the
 * first virtio console on stdout instead), and map the outcome to an exit status.
 * virtio devices get their backends here: raw image files for -drive, TCP
 * sockets for -netdev socket (a connect= that fails stops the start-up, as
 * in QEMU), files or stdout for virtio consoles; all closed after the run. With --dump-wasm, every module the JIT compiles is written out
 * as it is compiled, and converted to text with wabt when the run ends.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createMachine, type Machine, RunStatus } from '../machine.js';
import { loadFlat, readImageFile } from '../loaders/flat.js';
import { isBzImage, loadLinux, readInitrdFile } from '../loaders/linux.js';
import { findMultibootHeader, loadMultiboot } from '../loaders/multiboot.js';
import { applyBios, planBios, RomDevice } from '../loaders/bios.js';
import type { SerialSink } from '../../runtime/devices/uart16550.js';
import { ensureDemoGuest } from '../toolchain.js';
import { ConfigError } from '../errors.js';
import { loadWabt, wasmToTextWith } from '../wasm-text.js';
import { CPU_MODELS, ENGINE_EXT_FEATURES, ENGINE_FEATURES, Feature, featureNames, modelCpuFeatures } from '../../runtime/cpu-model.js';
import { JitTier } from '../../runtime/jit/jit.js';
import { JIT_STRATEGIES, prepareStrategy } from '../../runtime/jit/strategies.js';
import { WorkerCompileService } from '../compile-service.js';
import { HELP, parseArgs, UsageError, type CharDev, type CliOptions } from './args.js';
import { attachStdin } from './stdin.js';
import { FileBlockBackend } from '../../runtime/devices/virtio/block-backend.js';
import { socketNetBackend, type SocketNetBackend } from '../../runtime/devices/virtio/net-backend.js';
import type { VirtioBlkOptions } from '../../runtime/devices/virtio/blk.js';
import type { VirtioNetOptions } from '../../runtime/devices/virtio/net.js';
import type { VirtioConsoleOptions } from '../../runtime/devices/virtio/console.js';

export interface CliIo {
  stdout: (bytes: Uint8Array | string) => void;
  stderr: (text: string) => void;
  /** The terminal's input, for COM1 (-nographic) or a virtio console on stdout (see stdin.ts); absent: the guest gets no input. */
  stdin?: NodeJS.ReadStream;
}

const processIo: CliIo = {
  stdout: (b) => { process.stdout.write(b); },
  stderr: (t) => { process.stderr.write(t); },
  stdin: process.stdin,
};

/** Open a -serial/-debugcon destination; the files it opened are closed by `close`. */
function openCharDev(dev: CharDev | undefined, io: CliIo, opened: number[]): SerialSink | undefined {
  if (!dev || dev.kind === 'none') return undefined;
  if (dev.kind === 'stdio') return (b) => io.stdout(b);
  let fd: number;
  try {
    fd = openSync(dev.path, 'w');
  } catch (e) {
    throw new ConfigError(`cannot open '${dev.path}' for writing: ${(e as Error).message}`);
  }
  opened.push(fd);
  return (b) => { writeSync(fd, b); };
}

/** Read a BIOS image, naming the problem in a ConfigError. */
function readBiosFile(path: string): Uint8Array {
  try {
    if (statSync(path).isDirectory()) throw new ConfigError(`BIOS image '${path}' is a directory, not a file`);
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(`BIOS image '${path}' does not exist`);
    throw new ConfigError(`cannot read BIOS image '${path}': ${(e as Error).message}`);
  }
}

/**
 * Put the boot image in the machine and return the function that does it
 * again after a reset (QEMU reloads -kernel on every reset; a BIOS starts
 * over from its reset vector).
 */
function prepareBoot(machine: Machine, opts: CliOptions, kernel: string | undefined, notes: string[]): () => void {
  if (opts.bios !== undefined) {
    const plan = planBios(readBiosFile(opts.bios), opts.bios);
    machine.mapRom(plan.highRom.address, new RomDevice(plan.highRom.bytes), plan.highRom.bytes.length);
    return () => applyBios(machine, plan);
  }
  const image = readImageFile(kernel!);
  if (isBzImage(image)) {
    const initrd = opts.initrd !== undefined ? readInitrdFile(opts.initrd) : undefined;
    return () => {
      const start = performance.now();
      const plan = loadLinux(machine, image, { initrd, cmdline: opts.append ?? '', name: kernel, kernelUnpack: opts.kernelUnpack });
      // For --stats: where the kernel was unpacked (the first load's time; a reset reuses the unpacked kernel).
      if (notes.length === 0) {
        const u = plan.unpack;
        notes.push(u.how === 'host'
          ? `kernel: unpacked on the host (${u.format}, ${u.segments} segments, ${u.bytes} bytes, entry 0x${u.entry.toString(16)}) in ${(performance.now() - start).toFixed(0)} ms`
          : `kernel: unpacked by its own decompressor in the guest (${u.reason})`);
      }
    };
  }
  if (findMultibootHeader(image) >= 0) {
    // QEMU's -initrd for multiboot: comma-separated modules, each 'file args'.
    const modules = (opts.initrd ?? '').split(',').filter((m) => m !== '').map((spec) => ({ data: readInitrdFile(spec.split(' ')[0]!), cmdline: spec }));
    const cmdline = opts.append !== undefined ? `${kernel} ${opts.append}` : kernel;
    return () => { loadMultiboot(machine, image, { cmdline, modules }, kernel); };
  }
  if (opts.initrd !== undefined || opts.append !== undefined) {
    throw new ConfigError(`kernel image '${kernel}' is neither a Linux bzImage nor a multiboot image: -initrd and -append have nothing to go to`);
  }
  return () => loadFlat(machine, image, kernel);
}

export const EXIT_USAGE = 2;
/** A device backend could not start (a netdev socket that cannot listen or connect). */
export const EXIT_BACKEND = 1;

/** The virtio devices' backends, opened before the machine is built and closed after the run. */
interface Backends {
  blk: VirtioBlkOptions[];
  net: VirtioNetOptions[];
  console: VirtioConsoleOptions[];
  disks: FileBlockBackend[];
  sockets: SocketNetBackend[];
}

/**
 * Open the disks and sockets the options name (files the consoles write go
 * to `opened`). Socket netdevs are not yet ready: see startSockets().
 */
function openBackends(opts: CliOptions, io: CliIo, opened: number[], b: Backends): void {
  for (const d of opts.virtioBlk) {
    let backend: FileBlockBackend;
    try {
      backend = new FileBlockBackend(d.file, { readOnly: d.readOnly });
    } catch (e) {
      throw new ConfigError(`-drive file=${d.file}: cannot open the image: ${(e as Error).message}`);
    }
    b.disks.push(backend);
    b.blk.push({ backend, onError: (m) => io.stderr(`wasmvisor: virtio-blk (${d.file}): ${m}\n`) });
  }
  for (const n of opts.virtioNet) {
    const backend = socketNetBackend({
      ...(n.listen !== undefined ? { listen: n.listen } : { connect: n.connect! }),
      onEvent: (m) => io.stderr(`wasmvisor: ${n.netdev}: ${m}\n`),
    });
    b.sockets.push(backend);
    b.net.push({ backend, ...(n.mac !== undefined ? { mac: n.mac } : {}), onError: (m) => io.stderr(`wasmvisor: virtio-net (${n.netdev}): ${m}\n`) });
  }
  for (const c of opts.virtioConsole) {
    const sink = openCharDev(c.path !== undefined ? { kind: 'file', path: c.path } : { kind: 'stdio' }, io, opened);
    b.console.push({ ...(sink ? { sink } : {}), onError: (m) => io.stderr(`wasmvisor: virtio-console: ${m}\n`) });
  }
}

/**
 * Wait until every socket netdev listens or has connected; a listener says
 * where (so a peer can be pointed at a port 0 listener). Returns the first
 * failure's message, or null.
 */
async function startSockets(opts: CliOptions, b: Backends, io: CliIo): Promise<string | null> {
  for (let i = 0; i < b.sockets.length; i++) {
    const s = b.sockets[i]!;
    const spec = opts.virtioNet[i]!;
    try {
      await s.ready;
    } catch (e) {
      return `-netdev socket,id=${spec.netdev}: cannot ${spec.listen !== undefined ? `listen on ${spec.listen}` : `connect to ${spec.connect}`}: ${(e as Error).message}`;
    }
    if (spec.listen !== undefined) {
      const a = s.address();
      io.stderr(`wasmvisor: ${spec.netdev}: listening on ${a.address}:${a.port}\n`);
    }
  }
  return null;
}

async function closeBackends(b: Backends): Promise<void> {
  for (const d of b.disks.splice(0)) d.close();
  await Promise.all(b.sockets.splice(0).map((s) => s.close()));
}

/** Modules written by --dump-wasm: their directory and names (without extension), in compile order. */
interface WasmDump {
  readonly dir: string;
  readonly names: string[];
}

/**
 * Run the machine's vCPU with the named strategy plus a dump callback that
 * writes each compiled module to `dump.dir`. MachineConfig names its tier
 * and has no way to pass a strategy object, so the machine is built with
 * the interpreter and gets this JIT tier in its place before anything runs.
 * The machine releases the tier's compile worker (asynchronous strategies) on close().
 */
function attachDumpingJit(machine: Machine, name: string, dump: WasmDump): void {
  const strategy = {
    ...JIT_STRATEGIES[name]!,
    dump: (module: string, binary: Uint8Array): void => {
      writeFileSync(join(dump.dir, `${module}.wasm`), binary);
      dump.names.push(module);
    },
  };
  const service = strategy.async ? new WorkerCompileService() : null;
  machine.useJit(new JitTier(machine.interpreter, strategy, service), service);
}

/** Convert each dumped module to NAME.wat; returns how many wabt could not read. */
async function writeWasmText(dump: WasmDump, io: CliIo): Promise<number> {
  const wabt = await loadWabt();
  let failed = 0;
  for (const name of dump.names) {
    try {
      const text = wasmToTextWith(wabt, new Uint8Array(readFileSync(join(dump.dir, `${name}.wasm`))));
      writeFileSync(join(dump.dir, `${name}.wat`), text);
    } catch (e) {
      failed++;
      io.stderr(`wasmvisor: cannot convert ${join(dump.dir, `${name}.wasm`)} to text: ${(e as Error).message}\n`);
    }
  }
  return failed;
}

/**
 * VM exits by reason as kvm_stat lays them out: the event, its count and
 * share of all exits, and the host time spent handling them (total, and
 * per exit).
 */
export function exitStatsTable(machine: Machine): string[] {
  const rows = machine.exitStats();
  const total = rows.reduce((n, r) => n + r.count, 0);
  const totalMs = rows.reduce((n, r) => n + r.ms, 0);
  const lines = [`VM exits: ${total}`, ` ${'Event'.padEnd(24)} ${'Total'.padStart(10)} ${'%Total'.padStart(7)} ${'Time(ms)'.padStart(11)} ${'Avg(us)'.padStart(9)}`];
  for (const r of [...rows].sort((a, b) => b.count - a.count || a.reason - b.reason)) {
    const share = total ? (100 * r.count / total).toFixed(1) : '0.0';
    lines.push(` ${r.name.padEnd(24)} ${String(r.count).padStart(10)} ${share.padStart(7)} ${r.ms.toFixed(3).padStart(11)} ${(1000 * r.ms / r.count).toFixed(2).padStart(9)}`);
  }
  lines.push(` ${'Total'.padEnd(24)} ${String(total).padStart(10)} ${(total ? '100.0' : '0.0').padStart(7)} ${totalMs.toFixed(3).padStart(11)}`);
  return lines;
}

/** Run the CLI; returns the process exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
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
    for (const m of Object.values(CPU_MODELS)) {
      const label = m.brand ? ` ${m.brand}` : '';
      // The local APIC is not an engine feature but a device the PC wires: not "hidden".
      const hidden = featureNames((modelCpuFeatures(m.name) ?? 0) & ~m.features & ~(m.apic ? Feature.APIC : 0));
      io.stdout(`${m.name.padEnd(10)}${label} (family ${m.family} model ${m.model} stepping ${m.stepping})\n`);
      const addable = [...featureNames(ENGINE_FEATURES & ~m.features), ...(ENGINE_EXT_FEATURES & ~m.extFeatures ? ['nx'] : [])];
      io.stdout(`           CPUID.1:EDX: ${featureNames(m.features).join(' ')}\n`);
      if (hidden.length) io.stdout(`           not implemented, hidden: ${hidden.join(' ')}\n`);
      if (addable.length) io.stdout(`           can be added (+feature): ${addable.join(' ')}\n`);
    }
    return 0;
  }

  let kernel = opts.kernel;
  if (kernel === undefined && opts.bios === undefined) {
    try {
      kernel = ensureDemoGuest();
    } catch (e) {
      io.stderr(`wasmvisor: cannot build the bundled demo guest: ${(e as Error).message}\n`);
      return 1;
    }
  }

  let dump: WasmDump | null = null;
  if (opts.dumpWasm !== undefined) {
    dump = { dir: opts.dumpWasm, names: [] };
    try {
      mkdirSync(dump.dir, { recursive: true });
    } catch (e) {
      io.stderr(`wasmvisor: cannot create the --dump-wasm directory '${dump.dir}': ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
  }

  let machine;
  const bootNotes: string[] = [];
  const opened: number[] = [];
  const closeFiles = (): void => { for (const fd of opened.splice(0)) closeSync(fd); };
  const backends: Backends = { blk: [], net: [], console: [], disks: [], sockets: [] };
  try {
    const tier = dump ? 'interpreter' : opts.strategy;
    await prepareStrategy(opts.strategy);
    openBackends(opts, io, opened, backends);
    machine = createMachine({
      memoryMiB: opts.memoryMiB, cpu: opts.cpu, tier, paging: opts.paging,
      clock: opts.icountShift === undefined ? 'paced' : 'instructions', nsPerInstruction: 2 ** (opts.icountShift ?? 0),
      serial: openCharDev(opts.serial, io, opened), debugcon: openCharDev(opts.debugcon, io, opened),
      noReboot: opts.noReboot, debugExit: opts.debugExit,
      virtioBlk: backends.blk, virtioNet: backends.net, virtioConsole: backends.console,
    });
    if (dump) attachDumpingJit(machine, opts.strategy, dump);
    const boot = prepareBoot(machine, opts, kernel, bootNotes);
    boot();
    machine.setBoot(boot);
  } catch (e) {
    machine?.close();
    closeFiles();
    await closeBackends(backends);
    if (e instanceof ConfigError) {
      io.stderr(`wasmvisor: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  const failed = await startSockets(opts, backends, io);
  if (failed !== null) {
    machine.close();
    closeFiles();
    await closeBackends(backends);
    io.stderr(`wasmvisor: ${failed}\n`);
    return EXIT_BACKEND;
  }

  let result;
  // COM1 with -nographic, else a virtio console on stdout (src/cli/stdin.ts).
  const detach = io.stdin ? attachStdin(machine, opts, io.stdin) : null;
  try {
    // Asynchronous JIT strategies get their compiled code through the event loop, which this run yields to.
    result = await machine.runAsync();
  } finally {
    detach?.();
    machine.close();
    closeFiles();
    await closeBackends(backends);
  }
  if (result.status !== RunStatus.Halted && result.outcome.kind !== 'debug-exit') io.stderr(`wasmvisor: ${result.message}\n`);
  if (opts.stats) {
    const lines = [`--- stats: ${result.message}`];
    lines.push(...bootNotes);
    lines.push(`instructions retired: ${result.retired}`);
    lines.push(`seconds: ${result.seconds.toFixed(3)}  (${(result.retired / result.seconds / 1e6).toFixed(2)} MIPS)`);
    lines.push(...exitStatsTable(machine));
    if (machine.jit) {
      lines.push(`JIT (${opts.strategy}):`);
      for (const [name, v] of Object.entries(machine.jit.stats)) lines.push(`  ${name.padEnd(28)} ${Number.isInteger(v) ? v : v.toFixed(3)}`);
    }
    io.stderr(lines.join('\n') + '\n');
  }
  if (dump) {
    const failed = await writeWasmText(dump, io);
    io.stderr(`wasmvisor: wrote ${dump.names.length} modules to ${dump.dir} (.wasm, and .wat for ${dump.names.length - failed})\n`);
  }
  return result.status;
}
