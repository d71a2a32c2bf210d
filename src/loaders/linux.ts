/**
 * The Linux/x86 boot protocol, 32-bit entry (Documentation/arch/x86/
 * boot.rst, "32-bit Boot Protocol"; zero-page.rst; struct boot_params in
 * arch/x86/include/uapi/asm/bootparam.h). No BIOS and no real-mode setup
 * code run: we do what a 32-bit loader (kexec, an EFI stub's caller,
 * QEMU's linuxboot option ROM after its real-mode part) does. We read the
 * setup header of a bzImage, copy the protected-mode kernel into RAM,
 * build the zero page (the setup header copied into an otherwise zeroed
 * struct boot_params, plus the e820 map, the command line pointer and the
 * initrd's place), write a GDT with the flat __BOOT_CS (0x10) and
 * __BOOT_DS (0x18) descriptors, and enter the kernel at its 32-bit entry
 * in protected mode with paging and interrupts off, ESI = zero page and
 * EBX = EBP = EDI = 0.
 *
 * Planning is pure (image bytes and a RAM size in, a description of what
 * goes where and the entry state out) so it can be checked without a
 * machine; applyLinuxBoot() then writes it into guest memory and the vCPU.
 *
 * Unpacking on the host (LinuxBootOptions.kernelUnpack, default 'host'):
 * a bzImage's protected-mode part is a decompressor with the kernel
 * (vmlinux, an ELF file) compressed inside it as its payload (2.08+:
 * payload_offset/payload_length). Run in the guest, that decompressor is
 * most of a boot's instructions. With 'host', an XZ (or gzip, or
 * uncompressed ELF) payload is unpacked here (src/loaders/xz.ts), its
 * PT_LOAD segments are copied to their physical addresses, and the
 * kernel is entered at its own startup_32 (e_entry) with the same entry
 * contract (flat __BOOT_CS/__BOOT_DS, ESI = zero page, paging and
 * interrupts off), as QEMU's and Firecracker's direct vmlinux boots do.
 * What the decompressor does besides decompressing is either not needed
 * or done by the kernel itself (arch/x86/boot/compressed/misc.c,
 * extract_kernel, Linux 6.1): relocation processing only runs when the
 * kernel does not run at LOAD_PHYSICAL_ADDR (we always place it there);
 * the KASLR choice is skipped, as with 'nokaslr' (KASLR_FLAG stays clear,
 * as the decompressor leaves it when it does not randomise); its early
 * serial console only prints the decompressor's own messages; the ACPI
 * RSDP it may record in boot_params is searched for again by the kernel
 * when the field is zero; sanitize_boot_params has nothing to clear with
 * our zero sentinel. Payloads in other formats (bzip2, LZMA, LZO, LZ4,
 * zstd), and ELF files that are not i386 executables linked where the
 * kernel runs, are left to the guest's decompressor; plan.unpack says
 * which happened and why.
 *
 * Departures: only bzImage kernels of protocol 2.02 or later (zImage
 * and older protocols need the real-mode setup code at 0x90000); the
 * zero page's screen_info, APM, EDD and EFI parts stay zero (there is no
 * firmware to report them; the kernel then uses no VGA text console and
 * finds its console on the command line); the e820 map describes RAM
 * only, with the legacy 640 KiB-1 MiB hole reserved, unless the caller
 * passes its own.
 */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CR0_ET, CR0_PE, CODE_RX_ACCESS, DATA_RW_ACCESS, type CpuState, type SegmentCache } from '../../runtime/cpu.js';
import type { PhysicalMemory } from '../../runtime/memory.js';
import { Seg } from '../../translator/table/types.js';
import { ConfigError } from '../errors.js';
import { decodeXz, isXz, XzError } from './xz.js';
import { type Elf32Executable, type ElfSegment, ElfError, readElf32Executable } from './elf.js';

const MiB = 1024 * 1024;

/** Setup-header offsets in the image file (and in the zero page: the header sits at the same place in both). */
const HDR = {
  setupSects: 0x1f1,
  rootFlags: 0x1f2,
  syssize: 0x1f4,
  vidMode: 0x1fa,
  bootFlag: 0x1fe,
  jump: 0x200,
  header: 0x202,
  version: 0x206,
  kernelVersion: 0x20e,
  typeOfLoader: 0x210,
  loadflags: 0x211,
  code32Start: 0x214,
  ramdiskImage: 0x218,
  ramdiskSize: 0x21c,
  heapEndPtr: 0x224,
  cmdLinePtr: 0x228,
  initrdAddrMax: 0x22c,
  kernelAlignment: 0x230,
  relocatableKernel: 0x234,
  minAlignment: 0x235,
  xloadflags: 0x236,
  cmdlineSize: 0x238,
  payloadOffset: 0x248,
  payloadLength: 0x24c,
  prefAddress: 0x258,
  initSize: 0x260,
} as const;

/** struct boot_params offsets outside the setup header. */
const BP = {
  extRamdiskImage: 0x0c0,
  extRamdiskSize: 0x0c4,
  extCmdLinePtr: 0x0c8,
  altMemK: 0x1e0,
  e820Entries: 0x1e8,
  sentinel: 0x1ef,
  /** The setup header may run up to here (edd_mbr_sig_buffer follows). */
  headerLimit: 0x290,
  e820Table: 0x2d0,
  size: 0x1000,
} as const;

/** "HdrS", little-endian. */
const HDRS_MAGIC = 0x53726448;
const BOOT_FLAG = 0xaa55;
const LOADED_HIGH = 0x01;
/** loadflags bit the decompressor sets when it randomised the kernel's place (KASLR). */
const KASLR_FLAG = 0x02;
const CAN_USE_HEAP = 0x80;
/** type_of_loader 0xFF: "undefined" (we have no assigned boot loader id). */
const LOADER_UNDEFINED = 0xff;
const E820_MAX_ENTRIES_ZEROPAGE = 128;

export const E820_RAM = 1;
export const E820_RESERVED = 2;

/** The GDT selectors the 32-bit entry requires (boot.rst: __BOOT_CS and __BOOT_DS). */
export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;

/**
 * Where the loader puts its own structures, all in conventional memory
 * below the EBDA, away from the kernel (at 1 MiB or above) and the initrd
 * (at the top of RAM): the GDT after the BIOS data area, the zero page at
 * 0x7000 as other direct-boot VMMs do, the command line at 0x20000 (below
 * 0xA0000 as boot.rst asks, with room for any cmdline_size up to 64 KiB).
 */
export const LINUX_GDT_ADDRESS = 0x0500;
export const LINUX_ZERO_PAGE_ADDRESS = 0x7000;
export const LINUX_CMDLINE_ADDRESS = 0x20000;
/**
 * The protocol asks for no stack (the decompressor makes its own, after
 * using boot_params.scratch as a one-word stack to find its address); ESP
 * points at free low memory below the zero page all the same, so a push
 * before that lands somewhere harmless.
 */
export const LINUX_INITIAL_ESP = LINUX_ZERO_PAGE_ADDRESS;
/** Where a bzImage's protected-mode part loads when it cannot or need not go elsewhere. */
export const BZIMAGE_LOAD_ADDRESS = 0x100000;
/** The initrd is page-aligned, as every loader does, so the kernel can free it by pages. */
const INITRD_ALIGN = 0x1000;

/** What the setup header of a bzImage says (fields absent in older protocols hold their documented defaults). */
export interface SetupHeader {
  /** Protocol version, e.g. 0x020f for 2.15. */
  version: number;
  /** Real-mode setup sectors (0 in the file means 4). */
  setupSects: number;
  /** Protected-mode code size in 16-byte units (2.04+; derived from the file before). */
  syssize: number;
  loadflags: number;
  code32Start: number;
  /** Highest address the initrd may occupy (inclusive). */
  initrdAddrMax: number;
  kernelAlignment: number;
  relocatable: boolean;
  minAlignment: number;
  xloadflags: number;
  /** Longest command line, without its NUL. */
  cmdlineSize: number;
  /** Preferred load address (2.10+), 0 when absent. */
  prefAddress: number;
  /** Contiguous memory the kernel needs from its runtime start (2.10+), 0 when absent. */
  initSize: number;
  payloadOffset: number;
  payloadLength: number;
  /** The kernel's version string (from kernel_version), when present. */
  kernelVersion: string | null;
  /** Offset in the file of the first byte after the setup header. */
  headerEnd: number;
  /** Offset in the file of the protected-mode kernel. */
  kernelOffset: number;
  /** Bytes of protected-mode kernel to load. */
  kernelSize: number;
}

export interface E820Entry {
  address: number;
  size: number;
  type: number;
}

/** Where the kernel is unpacked: on the host (the default) or by its own decompressor in the guest. */
export type KernelUnpack = 'host' | 'guest';
export const KERNEL_UNPACK_MODES: readonly KernelUnpack[] = ['host', 'guest'];

/** What became of the payload: unpacked on the host, or left to the guest (and why). */
export type KernelUnpackResult =
  | { how: 'host'; format: 'xz' | 'gzip' | 'elf'; entry: number; segments: number; bytes: number }
  | { how: 'guest'; reason: string };

/** A block of bytes the loader puts in guest RAM. */
export interface LoadedRegion {
  what: 'gdt' | 'zero-page' | 'cmdline' | 'kernel' | 'initrd';
  address: number;
  bytes: Uint8Array;
}

/** The vCPU state at the kernel's 32-bit entry. */
export interface LinuxEntryState {
  eip: number;
  esi: number;
  esp: number;
  gdtrBase: number;
  gdtrLimit: number;
  cs: number;
  ds: number;
}

export interface LinuxBootPlan {
  header: SetupHeader;
  /** Whether the kernel was unpacked on the host (regions then hold its ELF segments) or is left to its decompressor. */
  unpack: KernelUnpackResult;
  /** Where the protected-mode kernel is copied, and where it starts running (unpacked on the host: where the kernel runs). */
  loadAddress: number;
  /** Where the kernel decompresses and runs (boot.rst's "runtime start"), and the end of what it needs before reading e820. */
  runtimeStart: number;
  runtimeEnd: number;
  initrd: { address: number; size: number } | null;
  cmdline: string;
  e820: E820Entry[];
  /** Everything written to RAM, in the order it is written. */
  regions: LoadedRegion[];
  entry: LinuxEntryState;
}

export interface LinuxBootOptions {
  /** Guest RAM size in bytes (RAM is [0, ramSize)). */
  ramSize: number;
  initrd?: Uint8Array;
  cmdline?: string;
  /** The memory map to hand over; defaults to e820ForRam(ramSize). */
  e820?: E820Entry[];
  /** Names the kernel in error messages. */
  name?: string;
  /** 'host' (default): unpack an XZ, gzip or uncompressed ELF payload here; 'guest': run the kernel's decompressor. */
  kernelUnpack?: KernelUnpack;
}

const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
/** A 64-bit field that must fit 32 bits (pref_address on a 32-bit guest); larger values read as "absent". */
const u64low = (b: Uint8Array, at: number): number => (u32(b, at + 4) === 0 ? u32(b, at) : 0);

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}
function put32(b: Uint8Array, at: number, v: number): void {
  for (let i = 0; i < 4; i++) b[at + i] = (v >>> (8 * i)) & 0xff;
}
/** A 64-bit little-endian field from a number below 2^53. */
function put64(b: Uint8Array, at: number, v: number): void {
  put32(b, at, v >>> 0);
  put32(b, at + 4, Math.floor(v / 2 ** 32));
}

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;
const alignDown = (v: number, a: number): number => Math.floor(v / a) * a;
const hex = (v: number): string => `0x${v.toString(16)}`;
const version = (v: number): string => `${v >>> 8}.${(v & 0xff).toString().padStart(2, '0')}`;

/**
 * Read and check a bzImage's setup header. Throws ConfigError naming the
 * problem for anything that is not a bzImage we can boot through the
 * 32-bit entry.
 */
export function parseSetupHeader(image: Uint8Array, name = 'kernel'): SetupHeader {
  const what = `kernel image '${name}'`;
  if (image.length < 0x204 + 4) throw new ConfigError(`${what} is ${image.length} bytes, too short to hold a Linux setup header`);
  if (u32(image, HDR.header) !== HDRS_MAGIC) {
    throw new ConfigError(`${what} is not a Linux bzImage: no "HdrS" signature at offset 0x202 (boot protocol 2.00 and later have one)`);
  }
  const ver = u16(image, HDR.version);
  if (ver < 0x0202) {
    throw new ConfigError(`${what} uses Linux boot protocol ${version(ver)}; the 32-bit entry needs 2.02 or later (kernel 2.4 and newer)`);
  }
  if (u16(image, HDR.bootFlag) !== BOOT_FLAG) throw new ConfigError(`${what} has no 0xAA55 boot flag at offset 0x1FE`);
  const loadflags = image[HDR.loadflags]!;
  if ((loadflags & LOADED_HIGH) === 0) {
    throw new ConfigError(`${what} is a zImage (LOADED_HIGH clear), which must run its real-mode setup at 0x90000; only bzImage kernels can be booted`);
  }
  const headerEnd = 0x202 + image[HDR.jump + 1]!;
  if (headerEnd > BP.headerLimit) throw new ConfigError(`${what}: its setup header claims to end at ${hex(headerEnd)}, beyond the 0x290 the zero page has room for`);
  if (image.length < headerEnd) throw new ConfigError(`${what} is truncated inside its setup header (${image.length} bytes, header ends at ${hex(headerEnd)})`);
  const rawSects = image[HDR.setupSects]!;
  const setupSects = rawSects === 0 ? 4 : rawSects;
  const kernelOffset = (setupSects + 1) * 512;
  if (image.length <= kernelOffset) {
    throw new ConfigError(`${what} is truncated: ${image.length} bytes, but its ${setupSects} setup sectors end at ${kernelOffset} with no protected-mode kernel after them`);
  }
  // syssize is the protected-mode size in paragraphs from protocol 2.04;
  // before that only its low 16 bits were defined, so the file says.
  const has = (v: number): boolean => ver >= v;
  const syssize = has(0x0204) ? u32(image, HDR.syssize) : Math.ceil((image.length - kernelOffset) / 16);
  const kernelSize = Math.min(syssize * 16, image.length - kernelOffset);
  // The kernel's build tool pads the file to whole paragraphs (the CRC in
  // the last four bytes), so anything short of syssize * 16 is a cut file.
  // Bytes after it (a signature appended by sbsign) are not the kernel's.
  if (has(0x0204) && kernelOffset + syssize * 16 > image.length) {
    throw new ConfigError(`${what} is truncated: its header says ${syssize * 16} bytes of protected-mode kernel follow the setup code, but only ${image.length - kernelOffset} do`);
  }
  if (kernelSize === 0) throw new ConfigError(`${what}: its setup header gives a protected-mode kernel of 0 bytes`);
  const kvOffset = u16(image, HDR.kernelVersion);
  let kernelVersion: string | null = null;
  if (kvOffset !== 0 && kvOffset + 0x200 < Math.min(image.length, kernelOffset)) {
    const start = kvOffset + 0x200;
    let end = start;
    while (end < kernelOffset && end - start < 256 && image[end] !== 0) end++;
    kernelVersion = new TextDecoder('latin1').decode(image.subarray(start, end));
  }
  return {
    version: ver,
    setupSects,
    syssize,
    loadflags,
    code32Start: u32(image, HDR.code32Start),
    initrdAddrMax: has(0x0203) ? u32(image, HDR.initrdAddrMax) : 0x37ffffff,
    kernelAlignment: has(0x0205) ? u32(image, HDR.kernelAlignment) : 0,
    relocatable: has(0x0205) && image[HDR.relocatableKernel] !== 0,
    minAlignment: has(0x020a) ? image[HDR.minAlignment]! : 0,
    xloadflags: has(0x020c) ? u16(image, HDR.xloadflags) : 0,
    cmdlineSize: has(0x0206) ? u32(image, HDR.cmdlineSize) : 255,
    prefAddress: has(0x020a) ? u64low(image, HDR.prefAddress) : 0,
    initSize: has(0x020a) ? u32(image, HDR.initSize) : 0,
    payloadOffset: has(0x0208) ? u32(image, HDR.payloadOffset) : 0,
    payloadLength: has(0x0208) ? u32(image, HDR.payloadLength) : 0,
    kernelVersion,
    headerEnd,
    kernelOffset,
    kernelSize,
  };
}

/** The PC memory map of `ramSize` bytes of RAM: conventional memory, the reserved legacy hole 640 KiB-1 MiB, extended memory. */
export function e820ForRam(ramSize: number): E820Entry[] {
  const map: E820Entry[] = [{ address: 0, size: 0xa0000, type: E820_RAM }, { address: 0xa0000, size: 0x60000, type: E820_RESERVED }];
  if (ramSize > MiB) map.push({ address: MiB, size: ramSize - MiB, type: E820_RAM });
  return map;
}

/** A flat 4 GiB descriptor (SDM vol. 3, 3.4.5): base 0, limit 0xFFFFF in 4 KiB units, D/B = 1, present, DPL 0. */
function flatDescriptor(access: number): [number, number] {
  const low = 0x0000ffff;
  const high = (0x00cf0000 | (access << 8)) >>> 0;
  return [low, high];
}

/** The boot GDT: two null entries (selectors 0x00 and 0x08, as Linux's own boot GDT has), __BOOT_CS, __BOOT_DS. */
function buildGdt(): Uint8Array {
  const gdt = new Uint8Array(4 * 8);
  const [csLow, csHigh] = flatDescriptor(CODE_RX_ACCESS(0));
  const [dsLow, dsHigh] = flatDescriptor(DATA_RW_ACCESS(0));
  put32(gdt, BOOT_CS, csLow);
  put32(gdt, BOOT_CS + 4, csHigh);
  put32(gdt, BOOT_DS, dsLow);
  put32(gdt, BOOT_DS + 4, dsHigh);
  return gdt;
}

/** Choose where the protected-mode kernel goes and where it will run. */
function placeKernel(h: SetupHeader, ramSize: number, what: string): { loadAddress: number; runtimeStart: number; runtimeEnd: number } {
  const needed = (start: number): number => start + Math.max(h.initSize, h.kernelSize);
  const mib = (n: number): number => Math.ceil(n / MiB);
  if (!h.relocatable) {
    // A non-relocatable kernel loads at 1 MiB and moves itself to
    // pref_address (2.10+); before 2.10 it runs where it is loaded.
    const runtimeStart = h.prefAddress !== 0 ? h.prefAddress : BZIMAGE_LOAD_ADDRESS;
    const runtimeEnd = needed(runtimeStart);
    const end = Math.max(runtimeEnd, BZIMAGE_LOAD_ADDRESS + h.kernelSize);
    if (end > ramSize) {
      throw new ConfigError(`${what} needs RAM up to ${hex(end)} (it runs at ${hex(runtimeStart)} and needs ${h.initSize || h.kernelSize} bytes there); give the machine at least ${mib(end)} MiB`);
    }
    return { loadAddress: BZIMAGE_LOAD_ADDRESS, runtimeStart, runtimeEnd };
  }
  const align = h.kernelAlignment > 0 ? h.kernelAlignment : 1;
  // boot.rst: a relocating loader should load at pref_address when it can;
  // loaded elsewhere, the kernel runs at align_up(load, kernel_alignment),
  // but never below pref_address (the decompressor, compressed/head_32.S,
  // raises it to LOAD_PHYSICAL_ADDR, which pref_address reports).
  const runtimeOf = (load: number): number => Math.max(alignUp(load, align), h.prefAddress);
  const candidates = [h.prefAddress, BZIMAGE_LOAD_ADDRESS].filter((a) => a >= BZIMAGE_LOAD_ADDRESS);
  let best: { loadAddress: number; runtimeStart: number; runtimeEnd: number } | null = null;
  for (const loadAddress of candidates) {
    const runtimeStart = runtimeOf(loadAddress);
    const runtimeEnd = needed(runtimeStart);
    if (Math.max(runtimeEnd, loadAddress + h.kernelSize) <= ramSize) {
      best = { loadAddress, runtimeStart, runtimeEnd };
      break;
    }
  }
  if (!best) {
    const runtimeStart = runtimeOf(BZIMAGE_LOAD_ADDRESS);
    const end = needed(runtimeStart);
    throw new ConfigError(`${what} needs RAM up to ${hex(end)} (it decompresses at ${hex(runtimeStart)} and needs ${h.initSize || h.kernelSize} bytes there); give the machine at least ${mib(end)} MiB`);
  }
  return best;
}

interface UnpackedKernel {
  format: 'xz' | 'gzip' | 'elf';
  entry: number;
  segments: readonly ElfSegment[];
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
const GZIP_MAGIC = [0x1f, 0x8b] as const;

const startsWith = (b: Uint8Array, magic: readonly number[]): boolean => b.length >= magic.length && magic.every((m, i) => b[i] === m);

/**
 * The PT_LOAD segments and entry of a vmlinux, or the reason it is not
 * one we can place: a 32-bit little-endian i386 executable whose
 * segments lie inside the file and hold its entry (a physical address).
 */
function readVmlinux(image: Uint8Array): { entry: number; segments: readonly ElfSegment[] } | string {
  let elf: Elf32Executable;
  try {
    elf = readElf32Executable(image);
  } catch (e) {
    if (e instanceof ElfError) return `the unpacked kernel ${e.message}`;
    throw e;
  }
  const { entry, segments } = elf;
  if (!segments.some((s) => entry >= s.paddr && entry < s.paddr + s.memsz)) return `the unpacked kernel's entry ${hex(entry)} is in none of its segments`;
  return { entry, segments };
}

/** Unpacked kernels by image: a reset reloads the kernel (QEMU does on every reset) without unpacking it again. */
const unpackedCache = new WeakMap<Uint8Array, UnpackedKernel | string>();

/**
 * Unpack a bzImage's payload on the host: the kernel, or the reason it is
 * left to the guest's decompressor. A payload in a format we read that
 * fails to decode throws (the guest's decompressor would halt on it too).
 */
function unpackKernel(image: Uint8Array, h: SetupHeader, what: string): UnpackedKernel | string {
  const cached = unpackedCache.get(image);
  if (cached !== undefined) return cached;
  const result = unpackPayload(image, h, what);
  unpackedCache.set(image, result);
  return result;
}

function unpackPayload(image: Uint8Array, h: SetupHeader, what: string): UnpackedKernel | string {
  if (h.version < 0x0208 || h.payloadLength === 0) return `boot protocol ${version(h.version)} does not describe the payload (2.08 and later do)`;
  const start = h.kernelOffset + h.payloadOffset;
  if (start + h.payloadLength > h.kernelOffset + h.kernelSize) return 'payload_offset/payload_length point outside the protected-mode kernel';
  const payload = image.subarray(start, start + h.payloadLength);
  let elf: Uint8Array;
  let format: UnpackedKernel['format'];
  if (isXz(payload)) {
    // Linux appends the unpacked size to its XZ payload (scripts/Makefile.lib, size_append).
    const size = payload.length >= 4 ? u32(payload, payload.length - 4) : 0;
    try {
      elf = decodeXz(payload, { singleStream: true, ...(size > 0 && size <= 1 << 30 ? { sizeHint: size } : {}) }).output;
    } catch (e) {
      if (e instanceof XzError) throw new ConfigError(`${what}: its XZ-compressed kernel cannot be unpacked: ${e.message.replace(/^xz: /, '')}`);
      throw e;
    }
    format = 'xz';
  } else if (startsWith(payload, GZIP_MAGIC)) {
    try {
      elf = new Uint8Array(gunzipSync(payload));
    } catch (e) {
      // In a browser node:zlib is a stub that throws: the guest unpacks it then.
      if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new ConfigError(`${what}: its gzip-compressed kernel cannot be unpacked: ${(e as Error).message}`);
      return `gzip needs node:zlib, which this host lacks (${(e as Error).message})`;
    }
    format = 'gzip';
  } else if (startsWith(payload, ELF_MAGIC)) {
    elf = payload;
    format = 'elf';
  } else {
    const magic = [...payload.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    return `the payload's format (first bytes ${magic}) is not XZ, gzip or ELF`;
  }
  const kernel = readVmlinux(elf);
  return typeof kernel === 'string' ? kernel : { format, ...kernel };
}

/**
 * Work out everything a 32-bit boot of `image` puts in RAM and the entry
 * state; nothing is written. Throws ConfigError when the image is not a
 * bootable bzImage or does not fit (with the initrd) in `ramSize`.
 */
export function planLinuxBoot(image: Uint8Array, options: LinuxBootOptions): LinuxBootPlan {
  const name = options.name ?? 'kernel';
  const what = `kernel image '${name}'`;
  const h = parseSetupHeader(image, name);
  const ramSize = options.ramSize;
  const cmdline = options.cmdline ?? '';
  const cmdBytes = new TextEncoder().encode(cmdline);
  if (cmdBytes.includes(0)) throw new ConfigError('the kernel command line contains a NUL character');
  if (cmdBytes.length > h.cmdlineSize) {
    throw new ConfigError(`the kernel command line is ${cmdBytes.length} bytes; ${what} accepts at most ${h.cmdlineSize} (cmdline_size)`);
  }
  if (LINUX_CMDLINE_ADDRESS + cmdBytes.length + 1 > 0xa0000) {
    throw new ConfigError(`the kernel command line is ${cmdBytes.length} bytes, more than fits below 0xA0000`);
  }

  const placed = placeKernel(h, ramSize, what);
  const { runtimeStart, runtimeEnd } = placed;
  let loadAddress = placed.loadAddress;
  const kernelEnd = Math.max(runtimeEnd, loadAddress + h.kernelSize);

  // The kernel itself, or its decompressor with the kernel inside.
  let kernelRegions: LoadedRegion[] = [{ what: 'kernel', address: loadAddress, bytes: image.subarray(h.kernelOffset, h.kernelOffset + h.kernelSize) }];
  let entryEip = loadAddress;
  let unpack: KernelUnpackResult = { how: 'guest', reason: "kernelUnpack is 'guest'" };
  if ((options.kernelUnpack ?? 'host') === 'host') {
    const k = unpackKernel(image, h, what);
    // Segments inside [runtimeStart, runtimeEnd) are in RAM (placeKernel
    // checked) and clear of the loader's structures below 1 MiB and of the
    // initrd above kernelEnd. A kernel linked elsewhere would need the
    // relocation pass of the decompressor: the guest does it then.
    const outside = typeof k === 'string' ? undefined : k.segments.find((seg) => seg.paddr < runtimeStart || seg.paddr + seg.memsz > runtimeEnd);
    if (typeof k === 'string') {
      unpack = { how: 'guest', reason: k };
    } else if (outside) {
      unpack = { how: 'guest', reason: `the unpacked kernel has a segment at ${hex(outside.paddr)}-${hex(outside.paddr + outside.memsz)}, outside ${hex(runtimeStart)}-${hex(runtimeEnd)} where its setup header says it runs` };
    } else {
      kernelRegions = k.segments.map((seg) => {
        if (seg.memsz === seg.data.length) return { what: 'kernel', address: seg.paddr, bytes: seg.data };
        // The part past the file's bytes (.bss, .brk) is zeroed, as an ELF loader does.
        const bytes = new Uint8Array(seg.memsz);
        bytes.set(seg.data);
        return { what: 'kernel', address: seg.paddr, bytes };
      });
      entryEip = k.entry;
      loadAddress = runtimeStart;
      unpack = { how: 'host', format: k.format, entry: k.entry, segments: k.segments.length, bytes: k.segments.reduce((n, seg) => n + seg.memsz, 0) };
    }
  }

  let initrd: LinuxBootPlan['initrd'] = null;
  if (options.initrd && options.initrd.length > 0) {
    const size = options.initrd.length;
    // initrd_addr_max is the highest byte the initrd may occupy; place it as
    // high as allowed so the kernel's decompression space stays free below.
    const top = Math.min(h.initrdAddrMax + 1, ramSize);
    const address = alignDown(top - size, INITRD_ALIGN);
    if (address < kernelEnd) {
      const need = Math.ceil((alignUp(kernelEnd, INITRD_ALIGN) + size) / MiB);
      throw new ConfigError(
        `the initrd (${size} bytes) does not fit between the kernel (which needs RAM up to ${hex(kernelEnd)}) and ` +
        `${top === ramSize ? 'the end of RAM' : `initrd_addr_max ${hex(h.initrdAddrMax)}`}` +
        `${top === ramSize ? `; give the machine at least ${need} MiB` : ''}`,
      );
    }
    initrd = { address, size };
  }

  const e820 = options.e820 ?? e820ForRam(ramSize);
  if (e820.length > E820_MAX_ENTRIES_ZEROPAGE) throw new ConfigError(`the memory map has ${e820.length} entries; the zero page holds ${E820_MAX_ENTRIES_ZEROPAGE}`);

  // The zero page: zeroed, then the setup header copied from 0x1F1 to its
  // end (not from 0x1EF: the sentinel stays 0, so the kernel knows the
  // rest of boot_params was cleared), then the loader's fields.
  const zp = new Uint8Array(BP.size);
  zp.set(image.subarray(HDR.setupSects, h.headerEnd), HDR.setupSects);
  zp[HDR.typeOfLoader] = LOADER_UNDEFINED;
  // No real-mode setup runs, so there is no heap to describe.
  zp[HDR.loadflags] = h.loadflags & ~CAN_USE_HEAP;
  // Unpacked here, the kernel runs where it was linked: not randomised.
  if (unpack.how === 'host') zp[HDR.loadflags]! &= ~KASLR_FLAG;
  put16(zp, HDR.heapEndPtr, 0);
  put32(zp, HDR.code32Start, loadAddress);
  put32(zp, HDR.cmdLinePtr, LINUX_CMDLINE_ADDRESS);
  put32(zp, HDR.ramdiskImage, initrd?.address ?? 0);
  put32(zp, HDR.ramdiskSize, initrd?.size ?? 0);
  put32(zp, BP.extRamdiskImage, 0);
  put32(zp, BP.extRamdiskSize, 0);
  put32(zp, BP.extCmdLinePtr, 0);
  // alt_mem_k: KiB of memory above 1 MiB, for kernels that look for it when e820 is short.
  put32(zp, BP.altMemK, Math.max(0, Math.floor((ramSize - MiB) / 1024)));
  zp[BP.e820Entries] = e820.length;
  e820.forEach((e, i) => {
    const at = BP.e820Table + 20 * i;
    put64(zp, at, e.address);
    put64(zp, at + 8, e.size);
    put32(zp, at + 16, e.type);
  });

  const cmdRegion = new Uint8Array(cmdBytes.length + 1);
  cmdRegion.set(cmdBytes);
  const gdt = buildGdt();
  const regions: LoadedRegion[] = [
    { what: 'gdt', address: LINUX_GDT_ADDRESS, bytes: gdt },
    { what: 'zero-page', address: LINUX_ZERO_PAGE_ADDRESS, bytes: zp },
    { what: 'cmdline', address: LINUX_CMDLINE_ADDRESS, bytes: cmdRegion },
    ...kernelRegions,
  ];
  if (initrd && options.initrd) regions.push({ what: 'initrd', address: initrd.address, bytes: options.initrd });

  return {
    header: h,
    unpack,
    loadAddress,
    runtimeStart,
    runtimeEnd,
    initrd,
    cmdline,
    e820,
    regions,
    entry: {
      eip: entryEip,
      esi: LINUX_ZERO_PAGE_ADDRESS,
      esp: LINUX_INITIAL_ESP,
      gdtrBase: LINUX_GDT_ADDRESS,
      gdtrLimit: gdt.length - 1,
      cs: BOOT_CS,
      ds: BOOT_DS,
    },
  };
}

/** What applying a plan touches: a machine's RAM and vCPU (Machine has both). */
export interface BootTarget {
  cpu: CpuState;
  mem: PhysicalMemory;
}

/** Write a plan into guest RAM and put the vCPU in the 32-bit entry state. */
export function applyLinuxBoot(target: BootTarget, plan: LinuxBootPlan): void {
  for (const r of plan.regions) {
    if (r.address + r.bytes.length > target.mem.size) {
      throw new ConfigError(`the ${r.what} (${r.bytes.length} bytes at ${hex(r.address)}) does not fit in ${target.mem.size / MiB} MiB of RAM`);
    }
  }
  for (const r of plan.regions) target.mem.load(r.address, r.bytes);

  const cpu = target.cpu;
  const e = plan.entry;
  cpu.reset();
  cpu.regs.fill(0); // EAX..EDI; EBX, EBP and EDI must be 0
  cpu.regs[6] = e.esi; // ESI
  cpu.regs[4] = e.esp; // ESP
  cpu.cr0 = CR0_PE | CR0_ET;
  cpu.cpl = 0;
  // The caches hold what loading the selectors from our GDT would give
  // (accessed bit included, as it is set in the descriptors we wrote).
  const flat = (selector: number, access: number): SegmentCache => ({ selector, base: 0, limit: 0xffffffff, access, big: true, unusable: false });
  for (let s = 0; s < 6; s++) cpu.setSeg(s, s === Seg.CS ? flat(e.cs, CODE_RX_ACCESS(0)) : flat(e.ds, DATA_RW_ACCESS(0)));
  cpu.gdtrBase = e.gdtrBase;
  cpu.gdtrLimit = e.gdtrLimit;
  // Interrupts are off and stay off until the kernel loads its own IDT.
  cpu.idtrBase = 0;
  cpu.idtrLimit = 0;
  cpu.eip = e.eip;
  cpu.flags = 2; // IF = 0
  cpu.lazyMask = 0;
  cpu.halted = false;
  cpu.refreshMode();
}

/** Plan and apply in one step: what the CLI's -kernel/-initrd/-append do for a bzImage. */
export function loadLinux(target: BootTarget, image: Uint8Array, options: Omit<LinuxBootOptions, 'ramSize'> = {}): LinuxBootPlan {
  const plan = planLinuxBoot(image, { ...options, ramSize: target.mem.size });
  applyLinuxBoot(target, plan);
  return plan;
}

/** True when `image` carries a setup header with the "HdrS" signature (the CLI's test for bzImage vs flat binary). */
export function isBzImage(image: Uint8Array): boolean {
  return image.length >= 0x206 && u32(image, HDR.header) === HDRS_MAGIC;
}

/** Read an initrd file, naming the problem (missing, directory, empty) in a ConfigError. */
export function readInitrdFile(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ConfigError(`initrd '${path}' is a directory, not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(`initrd '${path}' does not exist`);
    throw new ConfigError(`cannot read initrd '${path}': ${(e as Error).message}`);
  }
  if (size === 0) throw new ConfigError(`initrd '${path}' is empty`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new ConfigError(`cannot read initrd '${path}': ${(e as Error).message}`);
  }
}
