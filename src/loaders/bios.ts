/**
 * A BIOS ROM image (`-bios FILE`, e.g. SeaBIOS's bios.bin) mapped as on a
 * PC: the whole image ends at 4 GiB, so the reset vector (CS.base
 * FFFF0000h + EIP FFF0h = FFFFFFF0h, SDM vol. 3, 9.1.4) is the image's
 * 16th byte from the end; and its last 128 KiB (the whole image when it is
 * smaller) also appear just below 1 MiB, at E0000h-FFFFFh (or F0000h for a
 * 64 KiB image), where real-mode code reaches it as segments E000h/F000h.
 *
 * On a real chipset the low window is the same ROM until the BIOS unlocks
 * shadow RAM through the PAM registers and copies itself there. We model
 * the end state: the low window is ordinary RAM with the ROM's bytes
 * copied in, which is what the BIOS leaves after shadowing. The window at
 * the top of the address space is read-only ROM, outside RAM: this module
 * only describes it (`highRom`); the memory layer must map it.
 *
 * Sizes follow QEMU's rule for -bios: a non-empty multiple of 64 KiB; we
 * also cap the image at 16 MiB, the top-of-4 GiB window PC flash uses.
 */
import type { CpuState } from '../../runtime/cpu.js';
import type { PhysicalMemory } from '../../runtime/memory.js';
import { ConfigError } from '../errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Size unit of a BIOS image. */
export const BIOS_SIZE_UNIT = 64 * KiB;
export const BIOS_MAX_SIZE = 16 * MiB;
/** The real-mode window below 1 MiB (the "isa-bios" region) holds at most this much of the image. */
export const BIOS_LOW_WINDOW_SIZE = 128 * KiB;
/** Where the CPU fetches its first instruction after reset. */
export const RESET_VECTOR = 0xfffffff0;

/** Bytes placed in guest RAM. */
export interface BiosRamCopy {
  address: number;
  bytes: Uint8Array;
}

/** A read-only region outside RAM that the memory layer must map (reads give `bytes`, writes are ignored). */
export interface RomRegion {
  /** First physical address; the region ends at `address + bytes.length` (2^32 for the BIOS). */
  address: number;
  bytes: Uint8Array;
}

export interface BiosPlan {
  size: number;
  /** The image's tail copied into RAM below 1 MiB. */
  lowCopy: BiosRamCopy;
  /** The whole image just below 4 GiB. */
  highRom: RomRegion;
  /** Offset in the image of the reset vector's first byte. */
  resetVectorOffset: number;
}

/** Check a BIOS image and describe where it goes; throws ConfigError for sizes no PC could map. */
export function planBios(image: Uint8Array, name = 'bios'): BiosPlan {
  const size = image.length;
  const what = `BIOS image '${name}'`;
  if (size === 0) throw new ConfigError(`${what} is empty`);
  if (size % BIOS_SIZE_UNIT !== 0) {
    throw new ConfigError(`${what} is ${size} bytes; a BIOS image must be a whole number of 64 KiB blocks (its last bytes hold the reset vector at FFFFFFF0h)`);
  }
  if (size > BIOS_MAX_SIZE) throw new ConfigError(`${what} is ${size} bytes; at most ${BIOS_MAX_SIZE / MiB} MiB can be mapped below 4 GiB`);
  const lowSize = Math.min(size, BIOS_LOW_WINDOW_SIZE);
  return {
    size,
    lowCopy: { address: MiB - lowSize, bytes: image.subarray(size - lowSize) },
    highRom: { address: 2 ** 32 - size, bytes: image },
    resetVectorOffset: size - 16,
  };
}

/**
 * A ROM region as a memory-mapped device: reads return the image's bytes
 * (little-endian for wider accesses), writes are ignored, as a write to
 * flash or mask ROM does nothing without its programming sequence. Its
 * read/write(offset, size) shape is what an MMIO bus hands a device, so
 * the memory layer can map `highRom` by registering one of these at
 * `highRom.address` for `highRom.bytes.length` bytes.
 */
export class RomDevice {
  constructor(readonly bytes: Uint8Array) {}

  read(offset: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= (offset + i < this.bytes.length ? this.bytes[offset + i]! : 0xff) << (8 * i);
    return size === 4 ? v | 0 : v;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    void offset;
    void size;
    void value;
  }
}

/** Copy the low window into RAM and put the vCPU in its reset state, ready to fetch at the reset vector. */
export function applyBios(target: { cpu: CpuState; mem: PhysicalMemory }, plan: BiosPlan): void {
  const { address, bytes } = plan.lowCopy;
  if (address + bytes.length > target.mem.size) {
    throw new ConfigError(`a BIOS needs RAM up to 1 MiB for its real-mode window; the machine has ${target.mem.size / MiB} MiB`);
  }
  target.mem.load(address, bytes);
  // Power-on state (SDM vol. 3, 9.1.1): real mode, CS.base FFFF0000h, EIP FFF0h.
  target.cpu.reset();
}
