import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMachine } from '../../src/machine.js';
import { ConfigError } from '../../src/errors.js';
import { applyBios, planBios, RESET_VECTOR, RomDevice } from '../../src/loaders/bios.js';

const KiB = 1024;
/** Debian's SeaBIOS builds (package seabios, which qemu-system-x86 pulls in). */
const SEABIOS = ['/usr/share/seabios/bios.bin', '/usr/share/seabios/bios-256k.bin'].filter((p) => existsSync(p));
if (SEABIOS.length === 0) console.warn('SeaBIOS image tests are skipped: apt-get install seabios to run them');

/** An image whose every byte says where it is (offset mod 251), with a far jump at the reset vector. */
function image(size: number): Uint8Array {
  const b = new Uint8Array(size).map((_, i) => i % 251);
  b.set([0xea, 0x5b, 0xe0, 0x00, 0xf0], size - 16); // jmp far F000:E05B, the PC BIOS's classic entry
  return b;
}

describe('BIOS ROM mapping', () => {
  it('maps a 128 KiB image at E0000h and ending at 4 GiB', () => {
    const rom = image(128 * KiB);
    const plan = planBios(rom, 'bios.bin');
    expect(plan.lowCopy.address).toBe(0xe0000);
    expect(plan.lowCopy.bytes).toEqual(rom);
    expect(plan.highRom.address).toBe(0xfffe0000);
    expect(plan.highRom.address + plan.highRom.bytes.length).toBe(2 ** 32);
    expect(plan.highRom.address + plan.resetVectorOffset).toBe(RESET_VECTOR);
  });

  it('puts only the last 128 KiB of a larger image below 1 MiB, and a 64 KiB image at F0000h', () => {
    const big = image(256 * KiB);
    const plan = planBios(big);
    expect(plan.lowCopy.address).toBe(0xe0000);
    expect(plan.lowCopy.bytes).toEqual(big.subarray(128 * KiB));
    expect(plan.highRom.address).toBe(0xfffc0000);
    expect(planBios(image(64 * KiB)).lowCopy.address).toBe(0xf0000);
  });

  it('copies the low window into RAM, so F000:FFF0 holds the reset vector, and resets the vCPU', () => {
    const rom = image(256 * KiB);
    const m = createMachine({ memoryMiB: 4 });
    m.cpu.eip = 0x1234;
    applyBios(m, planBios(rom));
    expect([...m.mem.u8.subarray(0xffff0, 0x100000)]).toEqual([...rom.subarray(rom.length - 16)]);
    expect(m.mem.read8(0xe0000)).toBe(rom[128 * KiB]);
    // The reset state fetches at CS.base + EIP = FFFFFFF0h, the high ROM's reset vector.
    expect((m.cpu.segs[1]!.base + m.cpu.eip) >>> 0).toBe(RESET_VECTOR);
    expect(m.cpu.mode.protectedMode).toBe(false);
  });

  it('serves the high window as ROM: little-endian reads of the image, writes ignored', () => {
    const rom = image(64 * KiB);
    const plan = planBios(rom);
    const dev = new RomDevice(plan.highRom.bytes);
    const at = RESET_VECTOR - plan.highRom.address;
    expect(dev.read(at, 1)).toBe(0xea);
    expect(dev.read(at + 1, 2)).toBe(0xe05b);
    expect(dev.read(at + 1, 4)).toBe(0xf000e05b | 0);
    dev.write(at, 4, 0);
    expect(dev.read(at, 1)).toBe(0xea);
    expect(dev.read(64 * KiB - 2, 4) >>> 16).toBe(0xffff); // past the end: open bus
  });

  it('rejects images no PC could map', () => {
    expect(() => planBios(new Uint8Array(0), 'b')).toThrow(ConfigError);
    expect(() => planBios(new Uint8Array(0), 'b')).toThrow(/'b' is empty/);
    expect(() => planBios(new Uint8Array(100 * KiB))).toThrow(/whole number of 64 KiB blocks/);
    expect(() => planBios(new Uint8Array(17 * 1024 * KiB))).toThrow(/at most 16 MiB/);
  });

  it.skipIf(SEABIOS.length === 0)('maps Debian\'s SeaBIOS so its reset vector is a far jump into the F000 segment', () => {
    for (const path of SEABIOS) {
      const rom = new Uint8Array(readFileSync(path));
      const plan = planBios(rom, path);
      const vector = plan.highRom.bytes.subarray(plan.resetVectorOffset, plan.resetVectorOffset + 5);
      expect(vector[0], path).toBe(0xea); // JMP ptr16:16
      expect(vector[3] | (vector[4]! << 8), path).toBe(0xf000);
      // The same bytes are at F000:FFF0 in the low copy.
      const low = plan.lowCopy;
      expect(low.bytes.subarray(0xffff0 - low.address, 0xffff5 - low.address)).toEqual(vector);
      // And the far jump's target lies in the part copied below 1 MiB.
      const target = 0xf0000 + (vector[1]! | (vector[2]! << 8));
      expect(target).toBeGreaterThanOrEqual(low.address);
    }
  });
});
