/**
 * The multiboot loader (src/loaders/multiboot.ts) and the debug console
 * (runtime/devices/debugcon.ts), checked on images built here byte by byte
 * (so every field is known) and on two of the system guests (an ELF and
 * an a.out-kludge image from the same source). The guests themselves
 * check the hand-over from inside (guests/boot.S).
 *
 *   npx vitest run test/system/loader.test.ts
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMachine } from '../../src/machine.js';
import { ConfigError } from '../../src/errors.js';
import {
  findMultibootHeader, InfoFlag, loadMultiboot, MEM_LOWER_KIB, MMAP_AVAILABLE, MMAP_RESERVED, MULTIBOOT_BOOTLOADER_MAGIC,
  MULTIBOOT_HEADER_MAGIC, parseMultiboot,
} from '../../src/loaders/multiboot.js';
import { DebugCon, DebugConBuffer, DEBUGCON_PORT } from '../../runtime/devices/debugcon.js';
import { Seg } from '../../translator/table/types.js';
import { buildGuest } from './runner.js';
import { guestByName } from './catalog.js';

const MIB = 1024 * 1024;

/** A multiboot header: magic, flags, checksum, then the a.out kludge's five fields when given. */
function header(flags: number, kludge?: readonly number[]): Uint8Array {
  const words = [MULTIBOOT_HEADER_MAGIC, flags >>> 0, (-(MULTIBOOT_HEADER_MAGIC + flags)) >>> 0, ...(kludge ?? [])];
  const b = new Uint8Array(words.length * 4);
  const v = new DataView(b.buffer);
  words.forEach((w, k) => v.setUint32(4 * k, w, true));
  return b;
}

interface Segment { offset: number; vaddr: number; paddr: number; filesz: number; memsz: number }

/** A minimal ELF32 executable for i386: the header, program headers, then `body` at offset 0x100. */
function elf(entry: number, segments: readonly Segment[], body: Uint8Array, tweak?: (v: DataView) => void): Uint8Array {
  const image = new Uint8Array(0x100 + body.length);
  const v = new DataView(image.buffer);
  image.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint32(24, entry, true);
  v.setUint32(28, 52, true); // e_phoff
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true); // e_phentsize
  v.setUint16(44, segments.length, true);
  segments.forEach((s, k) => {
    const ph = 52 + 32 * k;
    v.setUint32(ph, 1, true); // PT_LOAD
    v.setUint32(ph + 4, s.offset, true);
    v.setUint32(ph + 8, s.vaddr, true);
    v.setUint32(ph + 12, s.paddr, true);
    v.setUint32(ph + 16, s.filesz, true);
    v.setUint32(ph + 20, s.memsz, true);
  });
  image.set(body, 0x100);
  tweak?.(v);
  return image;
}

/** An ELF whose one segment (file offset 100h) loads at 1 MiB: the multiboot header, then code. */
function simpleElf(flags = 3, memsz = 0x2000): Uint8Array {
  const body = new Uint8Array(0x40);
  body.set(header(flags));
  body.set([0xf4], 0x20); // HLT at entry
  return elf(0x100020, [{ offset: 0x100, vaddr: 0x100000, paddr: 0x100000, filesz: body.length, memsz }], body);
}

describe('multiboot: finding and parsing the image', () => {
  it('finds the header on a 4-byte boundary in the first 8 KiB, with a valid checksum', () => {
    const image = new Uint8Array(9000);
    image.set(header(0), 8);
    expect(findMultibootHeader(image)).toBe(8);
    const late = new Uint8Array(9000);
    late.set(header(0), 8192);
    expect(findMultibootHeader(late)).toBe(-1);
    const bad = header(0);
    bad[8]! ^= 1; // checksum
    const image2 = new Uint8Array(64);
    image2.set(bad, 4);
    expect(findMultibootHeader(image2)).toBe(-1);
    expect(() => parseMultiboot(new Uint8Array(64), 'k')).toThrow(/'k' has no multiboot header in its first 8192 bytes/);
  });

  it('loads an ELF by its program headers, at their physical addresses', () => {
    const p = parseMultiboot(simpleElf());
    expect(p.format).toBe('elf');
    expect(p.entry).toBe(0x100020);
    expect(p.segments).toHaveLength(1);
    expect(p.segments[0]).toMatchObject({ address: 0x100000, memorySize: 0x2000 });
    expect(p.segments[0]!.data.length).toBe(0x40);
  });

  it('translates an entry point given as a virtual address to the physical one (GRUB 2)', () => {
    const body = new Uint8Array(0x40);
    body.set(header(0));
    const image = elf(0xc0100020, [{ offset: 0x100, vaddr: 0xc0100000, paddr: 0x100000, filesz: 0x40, memsz: 0x40 }], body);
    expect(parseMultiboot(image).entry).toBe(0x100020);
  });

  it('loads through the a.out kludge when header flag 16 is set, even from an ELF', () => {
    // File: 16 bytes of padding, then the header at offset 16, loaded from offset 0 at 1 MiB.
    const image = new Uint8Array(0x100);
    image.set(header(0x10003, [0x100010, 0x100000, 0x100080, 0x100200, 0x100040]), 16);
    const p = parseMultiboot(image);
    expect(p.format).toBe('aout-kludge');
    expect(p.entry).toBe(0x100040);
    expect(p.segments[0]).toMatchObject({ address: 0x100000, memorySize: 0x200 });
    expect(p.segments[0]!.data.length).toBe(0x80);
    // load_end_addr 0: the rest of the file; bss_end_addr 0: no bss.
    image.set(header(0x10000, [0x100010, 0x100000, 0, 0, 0x100040]), 16);
    expect(parseMultiboot(image).segments[0]).toMatchObject({ memorySize: 0x100 });
  });

  it('refuses what it cannot load, saying why', () => {
    expect(() => parseMultiboot(simpleElf(1 << 2), 'v')).toThrow(/'v' asks for a video mode/);
    expect(() => parseMultiboot(simpleElf(1 << 3), 'r')).toThrow(/requirement flags 0x8/);
    const noElf = new Uint8Array(64);
    noElf.set(header(0));
    expect(() => parseMultiboot(noElf, 'n')).toThrow(/neither ELF nor marked with the multiboot a.out kludge/);
    expect(() => parseMultiboot(elf(0, [], header(0), (v) => v.setUint8(4, 2)), 'x')).toThrow(/64-bit ELF/);
    expect(() => parseMultiboot(elf(0, [], header(0), (v) => v.setUint16(18, 62, true)), 'm')).toThrow(/machine 62, not i386/);
    expect(() => parseMultiboot(elf(0, [], header(0)), 'e')).toThrow(/no loadable ELF segment/);
    const kludge = new Uint8Array(0x100);
    kludge.set(header(0x10000, [0x100000, 0x100000, 0x100080, 0, 0x100400]));
    expect(() => parseMultiboot(kludge, 'k')).toThrow(/entry_addr 0x100400 is outside the loaded image/);
    kludge.set(header(0x10000, [0x100000, 0x100010, 0x100080, 0, 0x100040]));
    expect(() => parseMultiboot(kludge, 'k')).toThrow(/before the file's start/);
    kludge.set(header(0x10000, [0x100000, 0x100000, 0x100800, 0, 0x100040]));
    expect(() => parseMultiboot(kludge, 'k')).toThrow(/asks for 2048 bytes but the file holds 256/);
  });
});

describe('multiboot: the hand-over (Multiboot 0.6.96, 3.2 and 3.3)', () => {
  it('loads, zeroes the bss, and enters in flat 32-bit protected mode with EAX and EBX', () => {
    const m = createMachine({ memoryMiB: 8 });
    m.mem.u8.fill(0xcc, 0x100000, 0x103000);
    const load = loadMultiboot(m, simpleElf(), { cmdline: 'k.elf a b' }, 'k.elf');
    const cpu = m.cpu;
    expect(m.mem.read32(0x100000) >>> 0).toBe(MULTIBOOT_HEADER_MAGIC);
    expect(m.mem.read8(0x100040)).toBe(0); // past the file bytes: zeroed up to memsz
    expect(m.mem.read8(0x101fff)).toBe(0);
    expect(load.infoAddress).toBe(0x102000); // the next page above the image and its bss
    expect(cpu.eip).toBe(0x100020);
    expect(cpu.regs[0]! >>> 0).toBe(MULTIBOOT_BOOTLOADER_MAGIC);
    expect(cpu.regs[3]).toBe(load.infoAddress);
    expect(cpu.cr0 & 0x80000001).toBe(1);
    expect(cpu.flags & ((1 << 9) | (1 << 17))).toBe(0); // IF, VM
    expect(cpu.cpl).toBe(0);
    expect(cpu.segs[Seg.CS]).toMatchObject({ base: 0, limit: 0xffffffff, big: true });
    for (const s of [Seg.DS, Seg.ES, Seg.FS, Seg.GS, Seg.SS]) expect(cpu.segs[s]).toMatchObject({ base: 0, limit: 0xffffffff, big: true });
    expect(cpu.mode).toMatchObject({ code32: true, stack32: true, protectedMode: true });
    m.close();
  });

  it('writes the boot information: memory, memory map, command line, modules, loader name', () => {
    const m = createMachine({ memoryMiB: 8 });
    const modules = [
      { data: new TextEncoder().encode('first module'), cmdline: 'mod1 x=1' },
      { data: new Uint8Array(5000).fill(7), cmdline: 'mod2' },
    ];
    const load = loadMultiboot(m, simpleElf(), { cmdline: 'k.elf a b', modules }, 'k.elf');
    const mem = m.mem;
    const info = load.infoAddress;
    const u32 = (a: number): number => mem.read32(a) >>> 0;
    const str = (a: number): string => {
      let s = '';
      for (let c = mem.read8(a); c !== 0; c = mem.read8(++a)) s += String.fromCharCode(c);
      return s;
    };
    expect(info).toBeGreaterThanOrEqual(0x102000); // above the image and its bss
    expect(u32(info)).toBe(InfoFlag.Memory | InfoFlag.Cmdline | InfoFlag.Modules | InfoFlag.Mmap | InfoFlag.BootLoaderName);
    expect(u32(info + 4)).toBe(MEM_LOWER_KIB);
    expect(u32(info + 8)).toBe((8 * MIB - MIB) / 1024);
    expect(str(u32(info + 16))).toBe('k.elf a b');
    expect(str(u32(info + 64))).toBe('wasmvisor');
    // Modules: page-aligned, in order, contents copied, strings kept.
    expect(u32(info + 20)).toBe(2);
    const list = u32(info + 24);
    const [m1, m2] = [0, 1].map((k) => ({ start: u32(list + 16 * k), end: u32(list + 16 * k + 4), name: str(u32(list + 16 * k + 8)) }));
    expect(m1!.start % 4096).toBe(0);
    expect(m2!.start % 4096).toBe(0);
    expect(m1!.end - m1!.start).toBe(12);
    expect(m2!.end - m2!.start).toBe(5000);
    expect(m2!.start).toBeGreaterThanOrEqual(m1!.end);
    expect(str(m1!.start).slice(0, 12)).toBe('first module');
    expect(mem.read8(m2!.start + 4999)).toBe(7);
    expect([m1!.name, m2!.name]).toEqual(['mod1 x=1', 'mod2']);
    expect(load.modules).toEqual([{ start: m1!.start, end: m1!.end }, { start: m2!.start, end: m2!.end }]);
    // The memory map: entries of size 20 (not counting the size field), 64-bit base and length.
    const map: { base: number; length: number; type: number }[] = [];
    for (let a = u32(info + 48); a < u32(info + 48) + u32(info + 44); a += u32(a) + 4) {
      expect(u32(a)).toBe(20);
      expect(u32(a + 8)).toBe(0);
      expect(u32(a + 16)).toBe(0);
      map.push({ base: u32(a + 4), length: u32(a + 12), type: u32(a + 20) });
    }
    expect(map).toEqual([
      { base: 0, length: 0x9fc00, type: MMAP_AVAILABLE },
      { base: 0x9fc00, length: 0x400, type: MMAP_RESERVED },
      { base: 0xf0000, length: 0x10000, type: MMAP_RESERVED },
      { base: 0x100000, length: 7 * MIB, type: MMAP_AVAILABLE },
    ]);
    // Nothing placed overlaps the image or another piece.
    expect(load.end).toBeLessThanOrEqual(8 * MIB);
    expect(m1!.start).toBeGreaterThanOrEqual(0x102000);
    m.close();
  });

  it('leaves out what it was not given', () => {
    const m = createMachine({ memoryMiB: 4 });
    const load = loadMultiboot(m, simpleElf());
    expect(m.mem.read32(load.infoAddress)).toBe(InfoFlag.Memory | InfoFlag.Mmap | InfoFlag.BootLoaderName);
    m.close();
  });

  it('refuses an image or modules that do not fit in RAM', () => {
    const m = createMachine({ memoryMiB: 2 });
    expect(() => loadMultiboot(m, simpleElf(3, 2 * MIB), {}, 'big.elf')).toThrow(ConfigError);
    expect(() => loadMultiboot(m, simpleElf(3, 2 * MIB), {}, 'big.elf')).toThrow(/segment of kernel image 'big.elf' would end at 0x300000, past the 2 MiB of RAM/);
    expect(() => loadMultiboot(m, simpleElf(), { modules: [{ data: new Uint8Array(MIB), cmdline: 'm' }] }, 'k')).toThrow(/the modules of kernel image 'k'/);
    m.close();
  });

  it('loads the ELF and the a.out-kludge builds of the boot guest alike', () => {
    const elfImage = new Uint8Array(readFileSync(buildGuest(guestByName('boot')!)));
    const flatImage = new Uint8Array(readFileSync(buildGuest(guestByName('boot-aout')!)));
    const e = parseMultiboot(elfImage, 'boot.elf');
    const a = parseMultiboot(flatImage, 'boot-aout.bin');
    expect(e.format).toBe('elf');
    expect(a.format).toBe('aout-kludge');
    expect(a.entry).toBe(e.entry);
    // The kludge's one segment covers what the ELF's segments load, .bss included.
    const lo = Math.min(...e.segments.map((s) => s.address));
    const hi = Math.max(...e.segments.map((s) => s.address + s.memorySize));
    expect(a.segments[0]!.address).toBe(lo);
    expect(a.segments[0]!.address + a.segments[0]!.memorySize).toBe(hi);
    const me = createMachine({ memoryMiB: 4 });
    const ma = createMachine({ memoryMiB: 4 });
    loadMultiboot(me, elfImage);
    loadMultiboot(ma, flatImage);
    // Equal but for the header's flags and checksum (flag 16 marks the kludge).
    const header = lo; // link.ld puts the header first in the image
    for (const mm of [me, ma]) mm.mem.u8.fill(0, header + 4, header + 12);
    expect(Buffer.from(me.mem.u8.subarray(lo, hi)).equals(Buffer.from(ma.mem.u8.subarray(lo, hi)))).toBe(true);
    me.close();
    ma.close();
  });
});

describe('debugcon', () => {
  it('passes byte writes to the host and reads back E9h, as QEMU does', () => {
    const out = new DebugConBuffer();
    const dev = new DebugCon(out.sink);
    dev.write(DEBUGCON_PORT, 1, 0x41);
    dev.write(DEBUGCON_PORT, 1, 0x142); // a byte port sees the low byte
    expect(out.text()).toBe('AB');
    expect(dev.read(DEBUGCON_PORT, 1)).toBe(0xe9);
  });

  it('ignores 16- and 32-bit accesses (QEMU decodes byte accesses only)', () => {
    const out = new DebugConBuffer();
    const dev = new DebugCon(out.sink);
    dev.write(DEBUGCON_PORT, 2, 0x4241);
    dev.write(DEBUGCON_PORT, 4, 0x44434241);
    expect(out.length).toBe(0);
    expect(dev.read(DEBUGCON_PORT, 2)).toBe(0);
    expect(dev.read(DEBUGCON_PORT, 4)).toBe(0);
  });

  it('prints what a guest writes with OUT, on the machine bus', () => {
    const m = createMachine({ memoryMiB: 2 });
    const out = new DebugConBuffer();
    m.io.register(DEBUGCON_PORT, 1, new DebugCon(out.sink));
    // mov al, 'h'; out 0xe9, al; mov al, 'i'; out 0xe9, al; in al, 0xe9; out 0xe9, al; mov al, 0; out 0xf4, al
    const code = [0xb0, 0x68, 0xe6, 0xe9, 0xb0, 0x69, 0xe6, 0xe9, 0xe4, 0xe9, 0xe6, 0xe9, 0xb0, 0x00, 0xe6, 0xf4];
    const body = new Uint8Array(0x20 + code.length);
    body.set(header(0));
    body.set(code, 0x20);
    loadMultiboot(m, elf(0x100020, [{ offset: 0x100, vaddr: 0x100000, paddr: 0x100000, filesz: body.length, memsz: body.length }], body));
    const r = m.run({ maxInstructions: 100 });
    expect(r.outcome).toEqual({ kind: 'debug-exit', value: 1 });
    expect(out.text()).toBe('hi\xe9');
    m.close();
  });
});
