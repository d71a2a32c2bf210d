/**
 * Picking kernel modules out of an unpacked linux-image package: the
 * virtio drivers and everything they depend on, in an order insmod can
 * load them.
 *
 * Debian's kernel packages do not ship modules.dep (depmod writes it when
 * the package is installed), so when it is absent we read each module's
 * own dependency list: modpost records the modules whose symbols it uses
 * as `depends=a,b` in the ELF section .modinfo, which is what depmod's
 * answer is made from. Compressed modules (.ko.xz, .ko.zst, .ko.gz, as
 * newer Debian kernels ship) are decompressed here, because busybox's
 * insmod hands the file to init_module(2) as it is and the kernel only
 * decompresses for finit_module with a flag busybox does not pass. Node's
 * zlib reads gzip but neither xz nor zstd (Node 20), so those two go
 * through Debian's `xz` and `zstd` programs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GuestBuildError } from './debian.js';

/** Module files under /lib/modules/<release>/ that the guest wants, besides their dependencies. */
export const VIRTIO_MODULE_ROOTS: readonly RegExp[] = [
  /^kernel\/drivers\/virtio\/[^/]+\.ko(\.(xz|zst|gz))?$/,
  /^kernel\/drivers\/block\/virtio_blk\.ko(\.(xz|zst|gz))?$/,
  /^kernel\/drivers\/net\/virtio_net\.ko(\.(xz|zst|gz))?$/,
  /^kernel\/drivers\/char\/virtio_console\.ko(\.(xz|zst|gz))?$/,
];

const MODULE_FILE = /\.ko(\.(xz|zst|gz))?$/;

/** The name the kernel knows a module by: the file name without .ko*, '-' read as '_'. */
export const moduleName = (path: string): string => path.slice(path.lastIndexOf('/') + 1).replace(MODULE_FILE, '').replace(/-/g, '_');

/** A module chosen for the initramfs. */
export interface SelectedModule {
  name: string;
  /** Path under /lib/modules/<release>/, always ending in .ko (decompressed). */
  path: string;
  /** The module's ELF image, decompressed. */
  data: Uint8Array;
  /** Names of the modules it needs loaded first. */
  depends: string[];
}

/** The kernel release and its module folder in an unpacked linux-image package (/lib/modules or /usr/lib/modules). */
export function findModuleTree(root: string): { release: string; dir: string } {
  for (const base of ['lib/modules', 'usr/lib/modules']) {
    const dir = join(root, base);
    if (!existsSync(dir)) continue;
    const releases = readdirSync(dir).filter((r) => existsSync(join(dir, r, 'kernel')));
    if (releases.length === 1) return { release: releases[0]!, dir: join(dir, releases[0]!) };
    if (releases.length > 1) throw new GuestBuildError(`the kernel package holds modules for several releases: ${releases.join(', ')}`);
  }
  throw new GuestBuildError(`no /lib/modules/<release>/kernel in the unpacked kernel package at ${root}`);
}

function listModules(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (MODULE_FILE.test(e.name)) out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(join(dir, 'kernel'));
  return out.sort();
}

/** Read a module file, decompressing it by its suffix. */
export function readModule(file: string): Uint8Array {
  if (file.endsWith('.ko')) return new Uint8Array(readFileSync(file));
  if (file.endsWith('.gz')) return new Uint8Array(gunzipSync(readFileSync(file)));
  const tool = file.endsWith('.xz') ? 'xz' : 'zstd';
  try {
    return new Uint8Array(execFileSync(tool, ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = err.code === 'ENOENT' ? `${tool} is not installed (Debian package ${tool === 'xz' ? 'xz-utils' : 'zstd'})` : (err.stderr?.toString().trim() || err.message);
    throw new GuestBuildError(`cannot decompress ${file}: ${why}`);
  }
}

/**
 * The key=value strings of an ELF relocatable's .modinfo section (ELF32
 * or ELF64, little-endian; System V gABI section headers).
 */
export function readModinfo(elf: Uint8Array, what = 'module'): Map<string, string[]> {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 0x34 || dv.getUint32(0, false) !== 0x7f454c46) throw new GuestBuildError(`${what} is not an ELF file`);
  if (elf[5] !== 1) throw new GuestBuildError(`${what} is not little-endian ELF`);
  const is64 = elf[4] === 2;
  const shoff = is64 ? Number(dv.getBigUint64(0x28, true)) : dv.getUint32(0x20, true);
  const shentsize = dv.getUint16(is64 ? 0x3a : 0x2e, true);
  const shnum = dv.getUint16(is64 ? 0x3c : 0x30, true);
  const shstrndx = dv.getUint16(is64 ? 0x3e : 0x32, true);
  const section = (i: number): { name: number; offset: number; size: number } => {
    const at = shoff + i * shentsize;
    if (at + shentsize > elf.length) throw new GuestBuildError(`${what}: section header ${i} is outside the file`);
    return is64
      ? { name: dv.getUint32(at, true), offset: Number(dv.getBigUint64(at + 24, true)), size: Number(dv.getBigUint64(at + 32, true)) }
      : { name: dv.getUint32(at, true), offset: dv.getUint32(at + 16, true), size: dv.getUint32(at + 20, true) };
  };
  const strtab = section(shstrndx);
  const decoder = new TextDecoder('latin1');
  const cstr = (at: number): string => {
    let end = at;
    while (end < elf.length && elf[end] !== 0) end++;
    return decoder.decode(elf.subarray(at, end));
  };
  const info = new Map<string, string[]>();
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (cstr(strtab.offset + s.name) !== '.modinfo') continue;
    // NUL-separated strings, with NUL padding between some of them.
    for (const item of decoder.decode(elf.subarray(s.offset, s.offset + s.size)).split('\0')) {
      const eq = item.indexOf('=');
      if (eq <= 0) continue;
      const key = item.slice(0, eq);
      info.set(key, [...(info.get(key) ?? []), item.slice(eq + 1)]);
    }
    return info;
  }
  throw new GuestBuildError(`${what} has no .modinfo section`);
}

/** Dependencies from modules.dep, when the package has one: module path -> paths it needs. */
function readModulesDep(dir: string): Map<string, string[]> | null {
  const file = join(dir, 'modules.dep');
  if (!existsSync(file)) return null;
  const deps = new Map<string, string[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    deps.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim().split(/\s+/).filter(Boolean));
  }
  return deps;
}

/**
 * The virtio modules of an unpacked kernel and their dependencies, each
 * after every module it depends on (a depth-first post-order over a
 * sorted list, so the order is the same on every run).
 */
export function selectVirtioModules(moduleDir: string, roots: readonly RegExp[] = VIRTIO_MODULE_ROOTS): SelectedModule[] {
  const all = listModules(moduleDir);
  const byName = new Map(all.map((p) => [moduleName(p), p] as const));
  const modulesDep = readModulesDep(moduleDir);
  const wanted = all.filter((p) => roots.some((r) => r.test(p)));
  if (wanted.length === 0) throw new GuestBuildError(`no virtio modules under ${moduleDir} (is virtio built into this kernel?)`);

  const loaded = new Map<string, SelectedModule>();
  const order: SelectedModule[] = [];
  const visiting = new Set<string>();
  const visit = (path: string, from: string): void => {
    const name = moduleName(path);
    if (loaded.has(name)) return;
    if (visiting.has(name)) throw new GuestBuildError(`module dependency cycle through ${name} (from ${from})`);
    visiting.add(name);
    const data = readModule(join(moduleDir, path));
    let depends: string[];
    if (modulesDep) {
      depends = (modulesDep.get(path) ?? []).map(moduleName);
    } else {
      const field = readModinfo(data, path).get('depends')?.[0] ?? '';
      depends = field.split(',').filter(Boolean).map((d) => d.replace(/-/g, '_'));
    }
    for (const dep of [...depends].sort()) {
      const depPath = byName.get(dep);
      if (!depPath) throw new GuestBuildError(`${path} depends on ${dep}, which is not a module file in the package (built in?)`);
      visit(depPath, name);
    }
    visiting.delete(name);
    const selected: SelectedModule = { name, path: path.replace(/\.(xz|zst|gz)$/, ''), data, depends };
    loaded.set(name, selected);
    order.push(selected);
  };
  for (const p of wanted) visit(p, 'the virtio selection');
  return order;
}
