/**
 * The Multiboot loader (Multiboot specification 0.6.96): finds the header
 * in the first 8 KiB of the image, loads an ELF32 image by its program
 * headers (at their physical addresses, as GRUB does) or, when header
 * flag 16 is set, by the a.out kludge's address fields; places modules,
 * the boot information structure, a memory map and the command lines
 * above the image; and hands over in the state of section 3.2 (EAX =
 * 2BADB002h, EBX = the information's physical address, flat 32-bit
 * protected mode at CPL 0, paging and interrupts off).
 *
 * Where the specification leaves things to the loader: ESP is the flat
 * loader's (the spec says undefined); GDTR and IDTR keep their reset
 * values (the spec says the image must load its own before it loads a
 * segment register); the memory map describes a PC (conventional memory
 * to 9FC00h, the EBDA and the BIOS area reserved, RAM from 1 MiB), as
 * QEMU's and GRUB's do; an ELF entry point inside a segment whose virtual
 * and physical addresses differ is translated to the physical one (GRUB 2).
 */
import type { Machine } from '../machine.js';
import { ConfigError } from '../errors.js';
import { enterFlatProtectedMode, FLAT_INITIAL_ESP } from './flat.js';
import { type Elf32Executable, ElfError, isElf, readElf32Executable } from './elf.js';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** What the loader leaves in EAX. */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie, 32-bit aligned, within this many bytes of the image's start. */
export const MULTIBOOT_SEARCH = 8192;

/** Header flags (section 3.1.2). Bits 0-15 are requirements: a loader that cannot meet one must refuse the image. */
export const enum HeaderFlag {
  PageAlignModules = 1 << 0,
  MemoryInfo = 1 << 1,
  VideoMode = 1 << 2,
  AoutKludge = 1 << 16,
}
const SUPPORTED_REQUIREMENTS = HeaderFlag.PageAlignModules | HeaderFlag.MemoryInfo;

/** Boot information flags (section 3.3). */
export const enum InfoFlag {
  Memory = 1 << 0,
  BootDevice = 1 << 1,
  Cmdline = 1 << 2,
  Modules = 1 << 3,
  Mmap = 1 << 6,
  BootLoaderName = 1 << 9,
}

/** Memory map entry types. */
export const MMAP_AVAILABLE = 1;
export const MMAP_RESERVED = 2;

/** A piece of the image to place in guest physical memory. */
export interface LoadSegment {
  readonly address: number;
  /** Bytes to copy; the rest up to `memorySize` is zeroed. */
  readonly data: Uint8Array;
  readonly memorySize: number;
}

export interface MultibootImage {
  readonly format: 'elf' | 'aout-kludge';
  /** The header's flags word. */
  readonly headerFlags: number;
  /** Offset of the header in the file. */
  readonly headerOffset: number;
  readonly entry: number;
  readonly segments: readonly LoadSegment[];
}

export interface MultibootModule {
  readonly data: Uint8Array;
  /** The module's string (GRUB and QEMU pass its file name and arguments). */
  readonly cmdline: string;
}

export interface MultibootOptions {
  /** The kernel's command line (GRUB and QEMU start it with the kernel's file name). */
  cmdline?: string;
  modules?: readonly MultibootModule[];
  bootLoaderName?: string;
}

/** Where things went, for callers and tests. */
export interface MultibootLoad {
  readonly image: MultibootImage;
  readonly entry: number;
  readonly infoAddress: number;
  /** Physical [start, end) of each module, in order. */
  readonly modules: readonly { start: number; end: number }[];
  /** First byte above everything the loader placed. */
  readonly end: number;
}

const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

/** A string as the NUL-terminated Latin-1 bytes a C string of the guest holds ('?' for what Latin-1 lacks). */
function cString(s: string): Uint8Array {
  const b = new Uint8Array(s.length + 1);
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    b[k] = c < 0x100 ? c : 0x3f;
  }
  return b;
}

/** Offset of a valid multiboot header (magic, flags and checksum summing to 0), or -1. */
export function findMultibootHeader(image: Uint8Array): number {
  const end = Math.min(image.length, MULTIBOOT_SEARCH) - 12;
  for (let at = 0; at <= end; at += 4) {
    if (u32(image, at) !== MULTIBOOT_HEADER_MAGIC) continue;
    if (((u32(image, at) + u32(image, at + 4) + u32(image, at + 8)) >>> 0) === 0) return at;
  }
  return -1;
}

/** Parse a multiboot image without touching a machine. Throws ConfigError naming what is wrong. */
export function parseMultiboot(image: Uint8Array, name = 'image'): MultibootImage {
  const at = findMultibootHeader(image);
  if (at < 0) throw new ConfigError(`kernel image '${name}' has no multiboot header in its first ${MULTIBOOT_SEARCH} bytes`);
  const flags = u32(image, at + 4);
  const unmet = flags & 0xffff & ~SUPPORTED_REQUIREMENTS;
  if (unmet) {
    const what = unmet & HeaderFlag.VideoMode ? 'a video mode (flag 2), which this machine has no display for' : `requirement flags ${hex(unmet)} it does not know`;
    throw new ConfigError(`kernel image '${name}' asks for ${what}`);
  }
  if (flags & HeaderFlag.AoutKludge) return parseKludge(image, at, flags, name);
  return parseElf(image, at, flags, name);
}

function parseKludge(image: Uint8Array, at: number, flags: number, name: string): MultibootImage {
  if (at + 32 > image.length) throw new ConfigError(`kernel image '${name}': the multiboot header's address fields run past the end of the file`);
  const headerAddr = u32(image, at + 12);
  const loadAddr = u32(image, at + 16);
  const loadEndAddr = u32(image, at + 20);
  const bssEndAddr = u32(image, at + 24);
  const entry = u32(image, at + 28);
  if (headerAddr < loadAddr || headerAddr - loadAddr > at) {
    throw new ConfigError(`kernel image '${name}': header_addr ${hex(headerAddr)} and load_addr ${hex(loadAddr)} put the load start before the file's start`);
  }
  // The text segment starts this far into the file (section 3.1.3, header_addr).
  const fileStart = at - (headerAddr - loadAddr);
  const loadSize = loadEndAddr === 0 ? image.length - fileStart : loadEndAddr - loadAddr;
  if (loadEndAddr !== 0 && loadEndAddr < loadAddr) throw new ConfigError(`kernel image '${name}': load_end_addr ${hex(loadEndAddr)} is below load_addr ${hex(loadAddr)}`);
  if (fileStart + loadSize > image.length) {
    throw new ConfigError(`kernel image '${name}': load_end_addr ${hex(loadEndAddr)} asks for ${loadSize} bytes but the file holds ${image.length - fileStart} from the load start`);
  }
  const loadEnd = loadAddr + loadSize;
  if (bssEndAddr !== 0 && bssEndAddr < loadEnd) throw new ConfigError(`kernel image '${name}': bss_end_addr ${hex(bssEndAddr)} is below the end of the loaded data ${hex(loadEnd)}`);
  if (entry < loadAddr || entry >= loadEnd) throw new ConfigError(`kernel image '${name}': entry_addr ${hex(entry)} is outside the loaded image [${hex(loadAddr)}, ${hex(loadEnd)})`);
  const memorySize = (bssEndAddr === 0 ? loadEnd : bssEndAddr) - loadAddr;
  return {
    format: 'aout-kludge',
    headerFlags: flags,
    headerOffset: at,
    entry,
    segments: [{ address: loadAddr, data: image.subarray(fileStart, fileStart + loadSize), memorySize }],
  };
}

function parseElf(image: Uint8Array, at: number, flags: number, name: string): MultibootImage {
  if (!isElf(image)) throw new ConfigError(`kernel image '${name}' is neither ELF nor marked with the multiboot a.out kludge (header flag 16)`);
  let elf: Elf32Executable;
  try {
    elf = readElf32Executable(image);
  } catch (e) {
    if (e instanceof ElfError) throw new ConfigError(`kernel image '${name}' ${e.message}`);
    throw e;
  }
  // GRUB enters a kernel linked high at the physical address of its virtual entry.
  const holder = elf.segments.find((s) => elf.entry >= s.vaddr && elf.entry - s.vaddr < s.memsz);
  const entry = holder ? (elf.entry - holder.vaddr + holder.paddr) >>> 0 : elf.entry;
  const segments: LoadSegment[] = elf.segments.map((s) => ({ address: s.paddr, data: s.data, memorySize: s.memsz }));
  return { format: 'elf', headerFlags: flags, headerOffset: at, entry, segments };
}

/** The PC memory map the loader reports for `ramBytes` of RAM. */
export function pcMemoryMap(ramBytes: number): { base: number; length: number; type: number }[] {
  return [
    { base: 0, length: 0x9fc00, type: MMAP_AVAILABLE },
    { base: 0x9fc00, length: 0x400, type: MMAP_RESERVED }, // extended BIOS data area
    { base: 0xf0000, length: 0x10000, type: MMAP_RESERVED }, // system BIOS
    { base: 0x100000, length: ramBytes - 0x100000, type: MMAP_AVAILABLE },
  ];
}

/** Conventional memory in KiB (mem_lower): up to the EBDA, as the memory map says. */
export const MEM_LOWER_KIB = 639;

/**
 * Load a multiboot image into `machine` and set the vCPU up to enter it.
 * Throws ConfigError when the image is not one, or it and what goes with
 * it do not fit in RAM.
 */
export function loadMultiboot(machine: Machine, image: Uint8Array, options: MultibootOptions = {}, name = 'image'): MultibootLoad {
  const parsed = parseMultiboot(image, name);
  const ram = machine.mem.size;
  const tooBig = (what: string, end: number): ConfigError => new ConfigError(
    `${what} of kernel image '${name}' would end at ${hex(end)}, past the ${ram / (1024 * 1024)} MiB of RAM; give the machine more memory (-m)`,
  );
  let top = 0x100000;
  for (const s of parsed.segments) {
    const end = s.address + s.memorySize;
    if (end > ram) throw tooBig('a segment', end);
    top = Math.max(top, end);
  }
  for (const s of parsed.segments) {
    machine.mem.load(s.address, s.data);
    if (s.memorySize > s.data.length) machine.mem.load(s.address + s.data.length, new Uint8Array(s.memorySize - s.data.length));
  }

  // Modules first (page-aligned when the header asks, and always here: it costs nothing).
  const modules: { start: number; end: number }[] = [];
  let next = alignUp(top, 4096);
  for (const m of options.modules ?? []) {
    const start = next;
    const end = start + m.data.length;
    if (end > ram) throw tooBig('the modules', end);
    if (m.data.length) machine.mem.load(start, m.data);
    modules.push({ start, end });
    next = alignUp(end, 4096);
  }

  // Then the information structure, the module list, the memory map and the strings.
  const mmap = pcMemoryMap(ram);
  const strings = [options.cmdline, options.bootLoaderName ?? 'wasmvisor', ...(options.modules ?? []).map((m) => m.cmdline)];
  const stringBytes = strings.reduce((n, s) => n + (s === undefined ? 0 : s.length + 1), 0);
  const infoSize = 88;
  const modsSize = modules.length * 16;
  const mmapSize = mmap.length * 24;
  const info = next;
  const blobEnd = info + infoSize + modsSize + mmapSize + stringBytes;
  if (blobEnd > ram) throw tooBig('the boot information', blobEnd);
  const blob = new Uint8Array(blobEnd - info);
  const view = new DataView(blob.buffer);
  const put32 = (at: number, v: number): void => view.setUint32(at - info, v >>> 0, true);
  let strAt = info + infoSize + modsSize + mmapSize;
  const putString = (s: string): number => {
    const addr = strAt;
    const bytes = cString(s);
    blob.set(bytes, strAt - info);
    strAt += bytes.length;
    return addr;
  };

  let flags = InfoFlag.Memory | InfoFlag.Mmap | InfoFlag.BootLoaderName;
  put32(info + 4, MEM_LOWER_KIB);
  put32(info + 8, Math.floor((ram - 0x100000) / 1024)); // mem_upper: up to the first hole, which is RAM's end
  if (options.cmdline !== undefined) {
    flags |= InfoFlag.Cmdline;
    put32(info + 16, putString(options.cmdline));
  }
  put32(info + 64, putString(options.bootLoaderName ?? 'wasmvisor'));
  if (options.modules) {
    flags |= InfoFlag.Modules;
    const list = info + infoSize;
    put32(info + 20, modules.length);
    put32(info + 24, list);
    options.modules.forEach((m, k) => {
      put32(list + 16 * k, modules[k]!.start);
      put32(list + 16 * k + 4, modules[k]!.end);
      put32(list + 16 * k + 8, putString(m.cmdline));
    });
  }
  // Memory map entries: size (20, not counting itself), base (64-bit), length (64-bit), type.
  const map = info + infoSize + modsSize;
  mmap.forEach((e, k) => {
    const at = map + 24 * k;
    put32(at, 20);
    put32(at + 4, e.base);
    put32(at + 12, e.length);
    put32(at + 20, e.type);
  });
  put32(info + 44, mmapSize);
  put32(info + 48, map);
  put32(info, flags);
  machine.mem.load(info, blob);

  enterFlatProtectedMode(machine, parsed.entry, FLAT_INITIAL_ESP);
  machine.cpu.regs[0] = MULTIBOOT_BOOTLOADER_MAGIC | 0; // EAX
  machine.cpu.regs[3] = info; // EBX
  return { image: parsed, entry: parsed.entry, infoAddress: info, modules, end: blobEnd };
}
