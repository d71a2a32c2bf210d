/**
 * The Linux bench's engines and how each is started: wasmvisor (our CLI,
 * one row per JIT strategy), QEMU's TCG (qemu-system-i386 -accel tcg), v86
 * (the npm package under Node, bench/linux/v86-runner.ts) and the native
 * baseline (the guest's busybox on the host). Every guest engine boots
 * the same kernel, initramfs, command line and RAM size with its console
 * on the first serial port, written to stdout; an engine that cannot run
 * here says why instead of failing the bench.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';

export type EngineKind = 'native' | 'qemu' | 'v86' | 'wasmvisor';
/** The guest engines a user can pick with --engine (native always runs: the ratios need it). */
export const GUEST_ENGINES = ['wasmvisor', 'qemu', 'v86'] as const;
export type GuestEngineKind = (typeof GUEST_ENGINES)[number];

/** What every guest engine boots. */
export interface GuestSetup {
  kernel: string;
  initrd: string;
  cmdline: string;
  memoryMiB: number;
  /** Debian's SeaBIOS files, for v86. */
  bios: string;
  vgaBios: string;
}

/** A process to start: its console is its stdout. */
export interface EngineCommand {
  file: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Engine {
  readonly kind: EngineKind;
  /** wasmvisor's JIT strategy (--strategy), for its rows. */
  readonly strategy?: string;
  /** The row's name in the table. */
  readonly label: string;
}

export const QEMU_BINARY = 'qemu-system-i386';
/** Where Debian's seabios package puts its ROMs. */
export const SEABIOS_DIR = '/usr/share/seabios';
export const SEABIOS_BIOS = 'bios.bin';
/** v86 emulates a Bochs/QEMU standard VGA, whose SeaBIOS VGA BIOS is this one. */
export const SEABIOS_VGA_BIOS = 'vgabios-stdvga.bin';

/** The compiled CLI and v86 runner (npm run bench builds dist/ before it starts; tests run from the sources and need a build). */
export const WASMVISOR_CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');
const V86_RUNNER = join(PROJECT_ROOT, 'dist', 'bench', 'linux', 'v86-runner.js');

export function engineLabel(kind: EngineKind, strategy?: string): string {
  if (kind === 'qemu') return 'qemu-tcg';
  return strategy ? `${kind} ${strategy}` : kind;
}

/** Why the engine cannot run on this host, or null when it can. */
export function engineUnavailable(kind: GuestEngineKind, setup: GuestSetup): string | null {
  switch (kind) {
    case 'wasmvisor':
      return existsSync(WASMVISOR_CLI) ? null : 'the compiled CLI (dist/src/cli.js) is missing: npm run build';
    case 'qemu': {
      const r = spawnSync(QEMU_BINARY, ['--version'], { encoding: 'utf8' });
      if (r.error) return `${QEMU_BINARY} is not installed (Debian: qemu-system-x86; scripts/setup.sh installs it)`;
      return r.status === 0 ? null : `${QEMU_BINARY} --version failed: ${(r.stderr || '').trim().split('\n')[0]}`;
    }
    case 'v86': {
      try {
        createRequire(import.meta.url).resolve('v86/build/v86.wasm');
      } catch {
        return 'the v86 npm package is not installed (npm ci installs it: a devDependency)';
      }
      for (const f of [setup.bios, setup.vgaBios]) if (!existsSync(f)) return `SeaBIOS ROM ${f} is missing (Debian: seabios; scripts/setup.sh installs it)`;
      return existsSync(V86_RUNNER) ? null : 'the compiled v86 runner (dist/bench/linux/v86-runner.js) is missing: npm run build';
    }
  }
}

/** The version line of an engine, for the report; null when it has none to tell. */
export function engineVersion(kind: GuestEngineKind): string | null {
  if (kind === 'qemu') {
    const r = spawnSync(QEMU_BINARY, ['--version'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.split('\n')[0]!.trim() : null;
  }
  if (kind === 'v86') {
    try {
      const require = createRequire(import.meta.url);
      return `v86 ${(require('v86/package.json') as { version: string }).version}`;
    } catch {
      return null;
    }
  }
  return null;
}

/** The command that boots the guest in this engine with its serial console on stdout. */
export function guestCommand(engine: Engine, setup: GuestSetup): EngineCommand {
  const { kernel, initrd, cmdline, memoryMiB } = setup;
  switch (engine.kind) {
    case 'wasmvisor':
      return {
        file: process.execPath,
        args: [WASMVISOR_CLI, '-m', String(memoryMiB), '-kernel', kernel, '-initrd', initrd, '-append', cmdline, '-nographic', '-no-reboot',
          '--strategy', engine.strategy ?? 'jit-inline'],
      };
    case 'qemu':
      return {
        file: QEMU_BINARY,
        args: ['-accel', 'tcg', '-m', String(memoryMiB), '-kernel', kernel, '-initrd', initrd, '-append', cmdline, '-nographic', '-no-reboot'],
      };
    case 'v86':
      return {
        file: process.execPath,
        args: [V86_RUNNER, '--bios', setup.bios, '--vga-bios', setup.vgaBios, '--kernel', kernel, '--initrd', initrd, '--append', cmdline,
          '--memory', String(memoryMiB)],
      };
    case 'native':
      throw new Error('the native run boots nothing: use nativeCommand()');
  }
}

/** The workload script run by the guest's busybox on the host, its applets alone on PATH. */
export function nativeCommand(sh: string, bin: string, work: string, script: string): EngineCommand {
  return { file: sh, args: ['-c', script], cwd: work, env: { PATH: bin, HOME: work, LC_ALL: 'C' } };
}
