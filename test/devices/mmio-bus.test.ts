import { describe, expect, it } from 'vitest';
import { MmioBus, type MmioDevice } from '../../runtime/mmio-bus.js';

describe('MMIO bus', () => {
  it('hands accesses to the claiming device with their offset and width, and answers open bus elsewhere', () => {
    const bus = new MmioBus();
    const log: string[] = [];
    const dev: MmioDevice = {
      read: (off, size) => {
        log.push(`r ${off.toString(16)} ${size}`);
        return 0x1234;
      },
      write: (off, size, v) => {
        log.push(`w ${off.toString(16)} ${size} ${v.toString(16)}`);
      },
    };
    bus.register(0xfec00000, 0x20, dev);
    expect(bus.read(0xfec00010, 4)).toBe(0x1234);
    bus.write(0xfec00000, 1, 0x12);
    expect(log).toEqual(['r 10 4', 'w 0 1 12']);
    expect(bus.read(0xfec00020, 4)).toBe(-1);
    expect(bus.read(0xfec00020, 2)).toBe(0xffff);
    expect(bus.claims(0xfec0001f)).toBe(true);
    // PAE physical addresses above 4 GiB do not alias the 32-bit region.
    expect(bus.claims(0x1_fec00000)).toBe(false);
    bus.write(0x1_fec00000, 4, 1);
    expect(log.length).toBe(2);
  });

  it('refuses overlapping claims and lets a device move', () => {
    const bus = new MmioBus();
    const dev: MmioDevice = { read: () => 7, write: () => {} };
    bus.register(0xfee00000, 0x1000, dev);
    expect(() => bus.register(0xfee00800, 0x1000, dev)).toThrow(/overlaps/);
    bus.unregister(dev);
    bus.register(0xfed00000, 0x1000, dev);
    expect(bus.read(0xfee00030, 4)).toBe(-1);
    expect(bus.read(0xfed00030, 4)).toBe(7);
  });
});
