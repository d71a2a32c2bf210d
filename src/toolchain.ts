/**
 * Building our own guests with the host's GNU binutils: assemble 32-bit
 * GNU-as sources and link them into a flat binary loaded at 1 MiB. Rebuilds
 * only when a source is newer than the output (make's rule, without make).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FLAT_LOAD_ADDRESS } from './loaders/flat.js';

/** The repository root (this file lives in src/). */
export { PROJECT_ROOT } from './project-root.js';
import { PROJECT_ROOT } from './project-root.js';
export const GUEST_BUILD_DIR = join(PROJECT_ROOT, 'guests', 'build');
export const DEMO_SOURCE = join(PROJECT_ROOT, 'guests', 'demo', 'demo.S');
export const DEMO_IMAGE = join(GUEST_BUILD_DIR, 'demo.bin');

/** True when `output` is missing or older than any of `inputs`. */
export function isStale(output: string, inputs: readonly string[]): boolean {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return inputs.some((i) => statSync(i).mtimeMs > built);
}

function tool(cmd: string, args: readonly string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error(`'${cmd}' is not installed: building guests needs GNU binutils (as, ld) with i386 support`);
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${err.stderr?.toString() ?? err.message}`);
  }
}

/**
 * Assemble `sources` with `as --32` (plain GNU as: no C preprocessor, so
 * the sources use `.set`/`.equ`, not `#define`) and link them with
 * `ld -m elf_i386 -Ttext 0x100000 --oformat binary` into `output`. ld lays
 * .text out in command-line order, so the first source's code is what runs
 * at 1 MiB; `-N` stops ld from page-aligning .data, so images stay as
 * small as their contents. Returns true when it rebuilt.
 */
export function buildFlatGuest(sources: readonly string[], output: string, force = false): boolean {
  if (!force && !isStale(output, sources)) return false;
  mkdirSync(dirname(output), { recursive: true });
  // Temporary names carry the pid and the result is renamed into place, so
  // concurrent builders (parallel test files) never see a half-written image.
  const tmp = `${output}.${process.pid}`;
  const objects: string[] = [];
  try {
    for (const src of sources) {
      const obj = `${tmp}.${basename(src)}.o`;
      tool('as', ['--32', '-I', dirname(src), '-o', obj, src]);
      objects.push(obj);
    }
    tool('ld', ['-m', 'elf_i386', '-N', '-Ttext', `0x${FLAT_LOAD_ADDRESS.toString(16)}`, '-e', `0x${FLAT_LOAD_ADDRESS.toString(16)}`, '--oformat', 'binary', '-o', tmp, ...objects]);
    renameSync(tmp, output);
  } finally {
    for (const o of objects) rmSync(o, { force: true });
    rmSync(tmp, { force: true });
  }
  return true;
}

/** Build the bundled demo guest if needed; returns its image path. */
export function ensureDemoGuest(): string {
  buildFlatGuest([DEMO_SOURCE], DEMO_IMAGE);
  return DEMO_IMAGE;
}

/** How buildLinkedGuest links: with a linker script, into an ELF or a flat binary. */
export interface LinkOptions {
  /** The ld script that places the sections (it also names the entry point). */
  readonly linkerScript: string;
  /** Symbols defined for the assembler (`as --defsym NAME=VALUE`), e.g. to select a variant. */
  readonly defsyms?: Readonly<Record<string, number>>;
  /** 'elf' (default) or 'binary' (ld --oformat binary: the image as its load addresses lay it out). */
  readonly format?: 'elf' | 'binary';
  /** Files the sources include: a change to one rebuilds the guest too. */
  readonly dependencies?: readonly string[];
}

/**
 * Assemble `sources` with `as --32` and link them with `ld -m elf_i386 -T
 * script` into `output` (an ELF executable, or a flat binary). Like
 * buildFlatGuest, it rebuilds only when an input is newer and renames the
 * result into place. Returns true when it rebuilt.
 */
export function buildLinkedGuest(sources: readonly string[], output: string, options: LinkOptions, force = false): boolean {
  const inputs = [...sources, options.linkerScript, ...(options.dependencies ?? [])];
  if (!force && !isStale(output, inputs)) return false;
  mkdirSync(dirname(output), { recursive: true });
  const tmp = `${output}.${process.pid}`;
  const objects: string[] = [];
  const defsyms = Object.entries(options.defsyms ?? {}).flatMap(([k, v]) => ['--defsym', `${k}=${v}`]);
  try {
    for (const src of sources) {
      const obj = `${tmp}.${basename(src)}.o`;
      tool('as', ['--32', '-I', dirname(src), ...defsyms, '-o', obj, src]);
      objects.push(obj);
    }
    const format = options.format === 'binary' ? ['--oformat', 'binary'] : [];
    tool('ld', ['-m', 'elf_i386', '-T', options.linkerScript, ...format, '-o', tmp, ...objects]);
    renameSync(tmp, output);
  } finally {
    for (const o of objects) rmSync(o, { force: true });
    rmSync(tmp, { force: true });
  }
  return true;
}
