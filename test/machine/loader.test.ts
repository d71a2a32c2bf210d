import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMachine } from '../../src/machine.js';
import { loadFlat, readImageFile, FLAT_LOAD_ADDRESS, FLAT_INITIAL_ESP } from '../../src/loaders/flat.js';
import { ConfigError } from '../../src/errors.js';

describe('flat loader', () => {
  it('hands over like a multiboot loader', () => {
    const m = createMachine({ memoryMiB: 4 });
    loadFlat(m, new Uint8Array([0x90, 0xf4]));
    const cpu = m.cpu;
    expect(m.mem.read8(FLAT_LOAD_ADDRESS)).toBe(0x90);
    expect(cpu.eip).toBe(0x100000);
    expect(cpu.regs[4]).toBe(FLAT_INITIAL_ESP);
    expect(cpu.flags).toBe(2);
    expect(cpu.cr0 & 0x80000001).toBe(1); // PE on, PG off
    expect(cpu.cpl).toBe(0);
    expect(cpu.mode).toMatchObject({ code32: true, stack32: true, protectedMode: true });
    expect(cpu.segs[1]).toMatchObject({ base: 0, limit: 0xffffffff, access: 0x9b, big: true });
    for (const s of [0, 2, 3, 4, 5]) expect(cpu.segs[s]).toMatchObject({ base: 0, limit: 0xffffffff, access: 0x93, big: true });
  });

  it('rejects an image that does not fit in RAM', () => {
    const m = createMachine({ memoryMiB: 2 });
    expect(() => loadFlat(m, new Uint8Array(1024 * 1024 + 1), 'k.bin')).toThrow(/'k\.bin' is 1048577 bytes, but 2 MiB of RAM leaves only 1048576 bytes/);
    expect(() => loadFlat(m, new Uint8Array(1024 * 1024), 'k.bin')).not.toThrow();
  });

  it('names missing, empty and directory images', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-'));
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, '');
    expect(() => readImageFile(join(dir, 'nope.bin'))).toThrow(ConfigError);
    expect(() => readImageFile(join(dir, 'nope.bin'))).toThrow(/does not exist/);
    expect(() => readImageFile(empty)).toThrow(/is empty/);
    expect(() => readImageFile(dir)).toThrow(/is a directory/);
  });

  it('rejects bad memory sizes and CPU models', () => {
    expect(() => createMachine({ memoryMiB: 1 })).toThrow(/from 2 to 3072/);
    expect(() => createMachine({ memoryMiB: 2.5 })).toThrow(ConfigError);
    expect(() => createMachine({ memoryMiB: 2, cpu: 'pentium9' })).toThrow(/unknown CPU model 'pentium9'/);
  });
});
