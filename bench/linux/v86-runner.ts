/**
 * Boots a Linux bzImage and initrd in v86 (the npm package) under Node,
 * with Debian's SeaBIOS and VGA BIOS, and copies its first serial port to
 * stdout one line at a time, so the Linux bench reads v86's console as
 * it reads QEMU's and ours. Runs until killed (a powered-off v86 just
 * stops executing; the bench ends the process once it has what it needs).
 *
 *   node dist/bench/linux/v86-runner.js --bios FILE --vga-bios FILE --kernel FILE --initrd FILE --append CMDLINE --memory MIB
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface RunnerOptions {
  bios: string;
  vgaBios: string;
  kernel: string;
  initrd: string;
  append: string;
  memoryMiB: number;
}

const FLAGS: Readonly<Record<string, keyof RunnerOptions>> = {
  '--bios': 'bios', '--vga-bios': 'vgaBios', '--kernel': 'kernel', '--initrd': 'initrd', '--append': 'append', '--memory': 'memoryMiB',
};

function parse(argv: readonly string[]): RunnerOptions {
  const o: Partial<Record<keyof RunnerOptions, string>> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = FLAGS[argv[i]!];
    if (!key || argv[i + 1] === undefined) throw new Error(`v86-runner: bad argument '${argv[i]}' (flags: ${Object.keys(FLAGS).join(' ')}, each with a value)`);
    o[key] = argv[i + 1]!;
  }
  const missing = Object.entries(FLAGS).filter(([, k]) => o[k] === undefined).map(([f]) => f);
  if (missing.length) throw new Error(`v86-runner: missing ${missing.join(' ')}`);
  return { ...(o as Record<keyof RunnerOptions, string>), memoryMiB: Number(o.memoryMiB) };
}

/** A file as v86's image type wants it: an ArrayBuffer of exactly its bytes. */
function image(path: string): { buffer: ArrayBuffer } {
  const b = readFileSync(path);
  return { buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer };
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2));
  const { V86 } = await import('v86');
  const wasmPath = createRequire(import.meta.url).resolve('v86/build/v86.wasm');
  const emulator = new V86({
    wasm_path: wasmPath,
    bios: image(opts.bios),
    vga_bios: image(opts.vgaBios),
    bzimage: image(opts.kernel),
    initrd: image(opts.initrd),
    cmdline: opts.append,
    memory_size: opts.memoryMiB * 1024 * 1024,
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  });
  let line: number[] = [];
  emulator.add_listener('serial0-output-byte', (byte: number) => {
    line.push(byte);
    if (byte === 0x0a) {
      process.stdout.write(Uint8Array.from(line));
      line = [];
    }
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
