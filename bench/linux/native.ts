/**
 * The Linux bench's native baseline: the workload run on the host by the
 * very busybox the guest runs, taken out of the guest's initramfs (an
 * i386 static binary; an x86-64 Linux host runs it natively through its
 * IA-32 support). Its applets are linked into a folder of their own that
 * is the whole PATH, so the host's own tools never stand in for one.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readNewc } from '../../src/initramfs/cpio.js';

/** A folder holding busybox and its applet links, and where the workload runs. */
export interface NativeBusybox {
  /** The folder to put alone on PATH. */
  readonly bin: string;
  /** The shell: busybox's sh link. */
  readonly sh: string;
  /** The working directory for the workload's files. */
  readonly work: string;
  /** Removes the whole folder. */
  dispose(): void;
}

/** Busybox and its applet names (basenames) from a gzip-compressed newc initramfs. */
export function busyboxFromInitramfs(initramfsGz: Uint8Array): { busybox: Uint8Array; applets: string[] } {
  const entries = readNewc(new Uint8Array(gunzipSync(initramfsGz)));
  const binary = entries.find((e) => e.name === 'bin/busybox' && e.type === 'file');
  if (!binary) throw new Error('the initramfs has no bin/busybox');
  const target = new TextDecoder();
  const applets = entries
    .filter((e) => e.type === 'symlink' && /(^|\/)busybox$/.test(target.decode(e.data)))
    .map((e) => basename(e.name));
  return { busybox: binary.data, applets: [...new Set(applets)].sort() };
}

/** Lay busybox out in a fresh temporary folder, ready to run the workload. */
export function prepareNativeBusybox(initramfsPath: string): NativeBusybox {
  const { busybox, applets } = busyboxFromInitramfs(new Uint8Array(readFileSync(initramfsPath)));
  if (!applets.includes('sh')) throw new Error('the initramfs links no sh applet');
  const root = mkdtempSync(join(tmpdir(), 'wasmvisor-linux-bench-'));
  const bin = join(root, 'bin');
  const work = join(root, 'work');
  mkdirSync(bin);
  mkdirSync(work);
  writeFileSync(join(bin, 'busybox'), busybox, { mode: 0o755 });
  for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(bin, a));
  return { bin, sh: join(bin, 'sh'), work, dispose: () => rmSync(root, { recursive: true, force: true }) };
}
