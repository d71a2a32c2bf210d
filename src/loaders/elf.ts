/**
 * The loadable segments of a 32-bit i386 ELF executable, as the multiboot
 * loader and the Linux loader's host-side unpacking read them (ELF32
 * little-endian, e_type EXEC, e_machine 386; the PT_LOAD program headers
 * whose memory size is not 0, each within the file).
 */

/** A PT_LOAD segment: its addresses, its bytes in the file and its size in memory. */
export interface ElfSegment {
  readonly vaddr: number;
  readonly paddr: number;
  readonly data: Uint8Array;
  readonly memsz: number;
}

export interface Elf32Executable {
  /** e_entry as the file gives it. */
  readonly entry: number;
  readonly segments: readonly ElfSegment[];
}

/** Why a file is not an executable this reads: a phrase that follows the file's name ("… is a big-endian ELF"). */
export class ElfError extends Error {}

const PT_LOAD = 1;
const ET_EXEC = 2;
const EM_386 = 3;

const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** Does `image` start with the ELF magic (and hold a whole ELF32 header)? */
export function isElf(image: Uint8Array): boolean {
  return image.length >= 52 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
}

/** The entry and PT_LOAD segments of `image`; throws ElfError saying what it is instead. */
export function readElf32Executable(image: Uint8Array): Elf32Executable {
  if (!isElf(image)) throw new ElfError('is not an ELF file');
  if (image[4] !== 1) throw new ElfError('is not a 32-bit ELF (a 64-bit ELF: this i686 machine needs ELF32)');
  if (image[5] !== 1) throw new ElfError('is a big-endian ELF');
  if (u16(image, 18) !== EM_386) throw new ElfError(`is not an i386 ELF executable (an ELF for machine ${u16(image, 18)}, not i386 (3))`);
  if (u16(image, 16) !== ET_EXEC) throw new ElfError(`is not an executable ELF (e_type ${u16(image, 16)})`);
  const phoff = u32(image, 28);
  const phentsize = u16(image, 42);
  const phnum = u16(image, 44);
  if (phentsize < 32 || phoff + phnum * phentsize > image.length) throw new ElfError('has ELF program headers that run past the end of the file');
  const segments: ElfSegment[] = [];
  for (let k = 0; k < phnum; k++) {
    const ph = phoff + k * phentsize;
    if (u32(image, ph) !== PT_LOAD) continue;
    const offset = u32(image, ph + 4);
    const vaddr = u32(image, ph + 8);
    const paddr = u32(image, ph + 12);
    const filesz = u32(image, ph + 16);
    const memsz = u32(image, ph + 20);
    if (memsz === 0) continue;
    if (filesz > memsz) throw new ElfError(`has an ELF segment (${k}) with more file bytes (${filesz}) than memory bytes (${memsz})`);
    if (offset + filesz > image.length) throw new ElfError(`has an ELF segment (${k}) that runs past the end of the file`);
    segments.push({ vaddr, paddr, data: image.subarray(offset, offset + filesz), memsz });
  }
  if (segments.length === 0) throw new ElfError('has no loadable ELF segment');
  return { entry: u32(image, 24), segments };
}
