import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMachine } from '../../src/machine.js';
import { ConfigError } from '../../src/errors.js';
import {
  applyLinuxBoot, BOOT_CS, BOOT_DS, e820ForRam, E820_RAM, E820_RESERVED, isBzImage, LINUX_CMDLINE_ADDRESS, LINUX_GDT_ADDRESS,
  LINUX_ZERO_PAGE_ADDRESS, loadLinux, parseSetupHeader, planLinuxBoot, readInitrdFile,
} from '../../src/loaders/linux.js';
import { segmentCacheOf } from '../../runtime/system/descriptors.js';
import { syntheticBzImage, syntheticVmlinux } from './bzimage.js';

const MiB = 1024 * 1024;
const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u64 = (b: Uint8Array, at: number): number => u32(b, at) + u32(b, at + 4) * 2 ** 32;

/** An 8-byte payload that is not code: for tests that only look at placement. */
const BLOB = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);

/**
 * A payload for a kernel loaded at 1 MiB that checks the entry state the
 * way the decompressor relies on it, then reports through isa-debug-exit:
 * reload DS/ES/SS with __BOOT_DS and CS with __BOOT_CS from the GDT we
 * wrote, read cmd_line_ptr from the zero page at ESI, and write the
 * command line's first byte OR EBX OR EBP OR EDI (which must be 0).
 */
function entryProbe(load: number): Uint8Array {
  const after = load + 17;
  return new Uint8Array([
    0x66, 0xb8, BOOT_DS, 0x00, // mov ax, __BOOT_DS
    0x8e, 0xd8, // mov ds, ax
    0x8e, 0xc0, // mov es, ax
    0x8e, 0xd0, // mov ss, ax
    0xea, after & 0xff, (after >>> 8) & 0xff, (after >>> 16) & 0xff, after >>> 24, BOOT_CS, 0x00, // ljmp __BOOT_CS:after
    0x8b, 0x86, 0x28, 0x02, 0x00, 0x00, // mov eax, [esi+0x228] (cmd_line_ptr)
    0x0f, 0xb6, 0x00, // movzx eax, byte [eax]
    0x09, 0xd8, // or eax, ebx
    0x09, 0xe8, // or eax, ebp
    0x09, 0xf8, // or eax, edi
    0x66, 0xba, 0xf4, 0x00, // mov dx, 0xf4 (isa-debug-exit)
    0xef, // out dx, eax
    0xf4, // hlt
  ]);
}

const work = mkdtempSync(join(tmpdir(), 'wasmvisor-linux-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bzImage setup header', () => {
  it('reads the fields boot.rst defines', () => {
    const image = syntheticBzImage({
      payload: BLOB, setupSects: 0, relocatable: true, kernelAlignment: 0x1000000, prefAddress: 0x1000000,
      initSize: 0x0100c000, cmdlineSize: 2047, initrdAddrMax: 0x7fffffff, kernelVersion: '6.1.0-test (builder@host) #1 SMP',
    });
    const h = parseSetupHeader(image);
    expect(h).toMatchObject({
      version: 0x020f, setupSects: 4, kernelOffset: 5 * 512, syssize: 2, kernelSize: 32, loadflags: 1, code32Start: 0x100000,
      relocatable: true, kernelAlignment: 0x1000000, prefAddress: 0x1000000, initSize: 0x0100c000, cmdlineSize: 2047,
      initrdAddrMax: 0x7fffffff, headerEnd: 0x26c, kernelVersion: '6.1.0-test (builder@host) #1 SMP', minAlignment: 12,
    });
    expect(isBzImage(image)).toBe(true);
    expect(isBzImage(new Uint8Array(4096))).toBe(false);
  });

  it('gives old protocols their documented defaults', () => {
    const h = parseSetupHeader(syntheticBzImage({ payload: BLOB, version: 0x0202, relocatable: true, cmdlineSize: 4096, prefAddress: 0x1000000 }));
    // Before 2.03 there is no initrd_addr_max, before 2.05 no relocation, before 2.06 no cmdline_size, before 2.10 no pref_address.
    expect(h).toMatchObject({ initrdAddrMax: 0x37ffffff, relocatable: false, kernelAlignment: 0, cmdlineSize: 255, prefAddress: 0, initSize: 0 });
  });

  it('rejects what is not a bootable bzImage, saying why', () => {
    const good = (): Uint8Array => syntheticBzImage({ payload: BLOB });
    const magic = good();
    magic[0x202] = 0x41;
    expect(() => parseSetupHeader(magic, 'k')).toThrow(ConfigError);
    expect(() => parseSetupHeader(magic, 'k')).toThrow(/'k' is not a Linux bzImage: no "HdrS"/);
    expect(() => parseSetupHeader(syntheticBzImage({ payload: BLOB, version: 0x0201 }))).toThrow(/protocol 2\.01; the 32-bit entry needs 2\.02/);
    expect(() => parseSetupHeader(syntheticBzImage({ payload: BLOB, loadflags: 0 }))).toThrow(/is a zImage/);
    const noFlag = good();
    noFlag[0x1fe] = 0;
    expect(() => parseSetupHeader(noFlag)).toThrow(/0xAA55/);
    expect(() => parseSetupHeader(good().subarray(0, 0x100))).toThrow(/too short/);
    expect(() => parseSetupHeader(good().subarray(0, 0x250))).toThrow(/truncated inside its setup header/);
    expect(() => parseSetupHeader(good().subarray(0, 5 * 512))).toThrow(/truncated: .* no protected-mode kernel/);
    expect(() => parseSetupHeader(syntheticBzImage({ payload: BLOB, syssize: 100 }))).toThrow(/truncated: its header says 1600 bytes .* but only 32 do/);
    const longHeader = good();
    longHeader[0x201] = 0xff;
    expect(() => parseSetupHeader(longHeader)).toThrow(/beyond the 0x290/);
  });
});

describe('32-bit boot plan', () => {
  const initrd = new Uint8Array(100_000).map((_, i) => i & 0xff);

  it('builds the zero page: header copied, loader fields, e820, command line, initrd placed high', () => {
    const image = syntheticBzImage({ payload: BLOB, relocatable: true, kernelAlignment: 0x200000, initSize: 0x400000 });
    const plan = planLinuxBoot(image, { ramSize: 64 * MiB, initrd, cmdline: 'console=ttyS0 root=/dev/ram0' });
    const zp = plan.regions.find((r) => r.what === 'zero-page')!.bytes;
    expect(zp.length).toBe(4096);
    // Everything before the header is zero, the sentinel included.
    expect(zp.subarray(0, 0x1e0).every((b) => b === 0)).toBe(true);
    expect(zp[0x1ef]).toBe(0);
    // The header, copied from 0x1F1 to its end, then the loader's fields.
    const changed = new Set([0x210, 0x214, 0x215, 0x216, 0x217, 0x218, 0x219, 0x21a, 0x21b, 0x21c, 0x21d, 0x21e, 0x21f, 0x228, 0x229, 0x22a, 0x22b]);
    for (let at = 0x1f1; at < 0x26c; at++) if (!changed.has(at)) expect(zp[at], `byte ${at.toString(16)}`).toBe(image[at]);
    expect(zp[0x210]).toBe(0xff); // type_of_loader: undefined
    expect(u32(zp, 0x214)).toBe(plan.loadAddress); // code32_start
    expect(u32(zp, 0x228)).toBe(LINUX_CMDLINE_ADDRESS);
    // Relocatable with no pref_address: loaded at 1 MiB, runs at align_up(1 MiB, 2 MiB).
    expect(plan.loadAddress).toBe(0x100000);
    expect(plan.runtimeStart).toBe(0x200000);
    expect(plan.runtimeEnd).toBe(0x600000);
    // The initrd: page-aligned, as high as RAM allows.
    expect(plan.initrd).toEqual({ address: (64 * MiB - 100_000) & ~0xfff, size: 100_000 });
    expect(u32(zp, 0x218)).toBe(plan.initrd!.address);
    expect(u32(zp, 0x21c)).toBe(100_000);
    expect(u32(zp, 0x1e0)).toBe(63 * 1024); // alt_mem_k
    // e820: RAM below 640 KiB, the legacy hole reserved, RAM from 1 MiB.
    expect(zp[0x1e8]).toBe(3);
    const e820 = [0, 1, 2].map((i) => ({ address: u64(zp, 0x2d0 + 20 * i), size: u64(zp, 0x2d8 + 20 * i), type: u32(zp, 0x2e0 + 20 * i) }));
    expect(e820).toEqual([
      { address: 0, size: 0xa0000, type: E820_RAM },
      { address: 0xa0000, size: 0x60000, type: E820_RESERVED },
      { address: 0x100000, size: 63 * MiB, type: E820_RAM },
    ]);
    expect(plan.e820).toEqual(e820);
    const cmd = plan.regions.find((r) => r.what === 'cmdline')!.bytes;
    expect(new TextDecoder().decode(cmd)).toBe('console=ttyS0 root=/dev/ram0\0');
    expect(plan.entry).toEqual({ eip: 0x100000, esi: LINUX_ZERO_PAGE_ADDRESS, esp: LINUX_ZERO_PAGE_ADDRESS, gdtrBase: LINUX_GDT_ADDRESS, gdtrLimit: 31, cs: 0x10, ds: 0x18 });
  });

  it('loads a relocatable kernel at pref_address, as Debian builds them (16 MiB, 16 MiB alignment)', () => {
    const image = syntheticBzImage({ payload: BLOB, relocatable: true, kernelAlignment: 0x1000000, prefAddress: 0x1000000, initSize: 0x0100c000 });
    const plan = planLinuxBoot(image, { ramSize: 64 * MiB });
    expect([plan.loadAddress, plan.runtimeStart, plan.runtimeEnd]).toEqual([0x1000000, 0x1000000, 0x200c000]);
    expect(plan.initrd).toBeNull();
    const zp = plan.regions.find((r) => r.what === 'zero-page')!.bytes;
    expect([u32(zp, 0x218), u32(zp, 0x21c)]).toEqual([0, 0]);
    expect(u32(zp, 0x214)).toBe(0x1000000);
    expect(() => planLinuxBoot(image, { ramSize: 32 * MiB })).toThrow(/decompresses at 0x1000000 .*at least 33 MiB/);
  });

  it('loads a non-relocatable kernel at 1 MiB and checks the room at the address it moves itself to', () => {
    const image = syntheticBzImage({ payload: BLOB, relocatable: false, prefAddress: 0x1000000, initSize: 0x800000 });
    const plan = planLinuxBoot(image, { ramSize: 32 * MiB });
    expect([plan.loadAddress, plan.runtimeStart, plan.runtimeEnd]).toEqual([0x100000, 0x1000000, 0x1800000]);
    expect(() => planLinuxBoot(image, { ramSize: 16 * MiB })).toThrow(/runs at 0x1000000 .* at least 24 MiB/);
  });

  it('keeps the initrd below initrd_addr_max and out of the kernel\'s way', () => {
    const image = syntheticBzImage({ payload: BLOB, initrdAddrMax: 0x00ffffff, initSize: 0x200000 });
    expect(planLinuxBoot(image, { ramSize: 64 * MiB, initrd }).initrd!.address).toBe((0x1000000 - 100_000) & ~0xfff);
    // The kernel runs at 1 MiB and needs 2 MiB there: a 3 MiB machine leaves no room for the initrd.
    expect(() => planLinuxBoot(syntheticBzImage({ payload: BLOB, initSize: 0x200000 }), { ramSize: 3 * MiB, initrd }))
      .toThrow(/the initrd \(100000 bytes\) does not fit .* up to 0x300000\) and the end of RAM; give the machine at least 4 MiB/);
  });

  it('refuses command lines the kernel cannot take', () => {
    const image = syntheticBzImage({ payload: BLOB, cmdlineSize: 16 });
    expect(() => planLinuxBoot(image, { ramSize: 8 * MiB, cmdline: 'x'.repeat(16) })).not.toThrow();
    expect(() => planLinuxBoot(image, { ramSize: 8 * MiB, cmdline: 'x'.repeat(17) })).toThrow(/17 bytes; .* at most 16 \(cmdline_size\)/);
    expect(() => planLinuxBoot(image, { ramSize: 8 * MiB, cmdline: 'a\0b' })).toThrow(/NUL/);
  });

  it('passes a caller\'s memory map through', () => {
    const map = [...e820ForRam(16 * MiB), { address: 0xfffc0000, size: 0x40000, type: E820_RESERVED }];
    const plan = planLinuxBoot(syntheticBzImage({ payload: BLOB }), { ramSize: 16 * MiB, e820: map });
    const zp = plan.regions.find((r) => r.what === 'zero-page')!.bytes;
    expect(zp[0x1e8]).toBe(4);
    expect([u64(zp, 0x2d0 + 60), u64(zp, 0x2d8 + 60), u32(zp, 0x2e0 + 60)]).toEqual([0xfffc0000, 0x40000, E820_RESERVED]);
  });
});

describe('applying the plan to a machine', () => {
  it('writes the regions and sets the 32-bit entry state boot.rst asks for', () => {
    const m = createMachine({ memoryMiB: 16 });
    const image = syntheticBzImage({ payload: BLOB });
    const plan = loadLinux(m, image, { initrd: new Uint8Array([9, 8, 7]), cmdline: 'quiet' });
    for (const r of plan.regions) expect(m.mem.u8.subarray(r.address, r.address + r.bytes.length)).toEqual(r.bytes);
    expect(m.mem.read8(0x100000)).toBe(1);
    const cpu = m.cpu;
    expect(cpu.eip).toBe(0x100000);
    expect(cpu.regs[6]).toBe(LINUX_ZERO_PAGE_ADDRESS); // ESI
    expect([cpu.regs[3], cpu.regs[5], cpu.regs[7]]).toEqual([0, 0, 0]); // EBX, EBP, EDI
    expect(cpu.flags & 0x200).toBe(0); // IF
    expect(cpu.cr0 & 0x80000001).toBe(1); // PE on, PG off
    expect(cpu.cpl).toBe(0);
    expect(cpu.mode).toMatchObject({ code32: true, stack32: true, protectedMode: true, v86: false });
    expect([cpu.gdtrBase, cpu.gdtrLimit]).toEqual([LINUX_GDT_ADDRESS, 31]);
    // Each cache is what loading its selector from the GDT in memory gives.
    const descriptor = (sel: number): { lo: number; hi: number } => ({ lo: m.mem.read32(LINUX_GDT_ADDRESS + sel), hi: m.mem.read32(LINUX_GDT_ADDRESS + sel + 4) });
    expect(cpu.segs[1]).toEqual(segmentCacheOf(BOOT_CS, descriptor(BOOT_CS)));
    for (const s of [0, 2, 3, 4, 5]) expect(cpu.segs[s]).toEqual(segmentCacheOf(BOOT_DS, descriptor(BOOT_DS)));
    expect(cpu.segs[1]).toMatchObject({ base: 0, limit: 0xffffffff, access: 0x9b, big: true });
    expect(cpu.segs[3]).toMatchObject({ base: 0, limit: 0xffffffff, access: 0x93, big: true });
  });

  it('runs a kernel that reloads its segments from our GDT and reads the zero page through ESI', () => {
    const m = createMachine({ memoryMiB: 8 });
    loadLinux(m, syntheticBzImage({ payload: entryProbe(0x100000) }), { cmdline: 'A console=ttyS0' });
    const result = m.run({ maxInstructions: 1000 });
    expect(result.outcome, result.message).toEqual({ kind: 'debug-exit', value: (0x41 << 1) | 1 }); // 'A', as isa-debug-exit reports it
    expect(m.cpu.segs[1]!.selector).toBe(BOOT_CS);
    expect(m.cpu.segs[2]!.selector).toBe(BOOT_DS);
  });

  it('refuses a plan made for more RAM than the machine has', () => {
    const plan = planLinuxBoot(syntheticBzImage({ payload: BLOB }), { ramSize: 64 * MiB, initrd: new Uint8Array(10) });
    expect(() => applyLinuxBoot(createMachine({ memoryMiB: 8 }), plan)).toThrow(/the initrd .* does not fit in 8 MiB/);
  });
});

describe('initrd files', () => {
  it('names missing, empty and directory initrds', () => {
    const empty = join(work, 'empty.img');
    writeFileSync(empty, '');
    const ok = join(work, 'ok.img');
    writeFileSync(ok, 'abc');
    expect(() => readInitrdFile(join(work, 'nope'))).toThrow(/initrd .* does not exist/);
    expect(() => readInitrdFile(empty)).toThrow(/is empty/);
    expect(() => readInitrdFile(work)).toThrow(/is a directory/);
    expect([...readInitrdFile(ok)]).toEqual([0x61, 0x62, 0x63]);
  });
});


const hasXz = spawnSync('xz', ['--version']).status === 0;

/** Compress as Linux's build does for CONFIG_KERNEL_XZ (xz_wrap.sh, then the unpacked size appended, little-endian). */
function kernelXz(data: Uint8Array): Uint8Array {
  const r = spawnSync('xz', ['-c', '-q', '--check=crc32', '--x86', '--lzma2=dict=1MiB'], { input: data });
  if (r.status !== 0) throw new Error(`xz failed: ${r.stderr.toString()}`);
  const size = new Uint8Array(4);
  new DataView(size.buffer).setUint32(0, data.length, true);
  return new Uint8Array([...r.stdout, ...size]);
}

/**
 * A bzImage whose protected-mode part is a stand-in decompressor (HLTs:
 * entered in the guest it stops at once) followed by `compressed`, the
 * payload, for a kernel that runs at 2 MiB.
 */
function packedBzImage(compressed: Uint8Array, extra: Partial<Parameters<typeof syntheticBzImage>[0]> = {}): Uint8Array {
  const stub = new Uint8Array(64).fill(0xf4);
  return syntheticBzImage({
    payload: new Uint8Array([...stub, ...compressed]), payloadOffset: stub.length, payloadLength: compressed.length,
    prefAddress: 0x200000, initSize: 0x100000, ...extra,
  });
}

describe('unpacking the kernel on the host', () => {
  const ENTRY = 0x200000;
  const vmlinux = syntheticVmlinux({
    entry: ENTRY,
    segments: [{ paddr: ENTRY, bytes: entryProbe(ENTRY) }, { paddr: 0x240000, bytes: new Uint8Array([9, 8, 7]), memsz: 0x3000 }],
  });

  const formats: [string, () => Uint8Array, boolean][] = [
    ['xz', () => kernelXz(vmlinux), hasXz],
    ['gzip', () => new Uint8Array(gzipSync(vmlinux)), true],
    ['elf', () => vmlinux, true],
  ];
  for (const [format, pack, can] of formats) {
    it.skipIf(!can)(`${format}: places the segments at p_paddr (bss zeroed) and enters at e_entry, KASLR flag clear`, () => {
      const image = packedBzImage(pack(), { loadflags: 0x03 });
      const plan = planLinuxBoot(image, { ramSize: 8 * MiB, cmdline: 'A' });
      expect(plan.unpack).toEqual({ how: 'host', format, entry: ENTRY, segments: 2, bytes: entryProbe(ENTRY).length + 0x3000 });
      const kernel = plan.regions.filter((r) => r.what === 'kernel');
      expect(kernel.map((r) => [r.address, r.bytes.length])).toEqual([[ENTRY, entryProbe(ENTRY).length], [0x240000, 0x3000]]);
      expect([...kernel[0]!.bytes]).toEqual([...entryProbe(ENTRY)]);
      expect([...kernel[1]!.bytes.subarray(0, 4)]).toEqual([9, 8, 7, 0]);
      expect(kernel[1]!.bytes.subarray(3).every((b) => b === 0)).toBe(true);
      expect(plan.entry.eip).toBe(ENTRY);
      expect(plan.loadAddress).toBe(ENTRY);
      const zp = plan.regions.find((r) => r.what === 'zero-page')!.bytes;
      expect(zp[0x211]).toBe(0x01); // LOADED_HIGH kept, KASLR_FLAG (0x02) cleared
    });
  }

  it.skipIf(!hasXz)('runs the unpacked kernel: it reloads its segments from our GDT and reads the zero page through ESI', () => {
    const image = packedBzImage(kernelXz(vmlinux));
    const m = createMachine({ memoryMiB: 8 });
    loadLinux(m, image, { cmdline: 'A console=ttyS0' });
    const result = m.run({ maxInstructions: 1000 });
    expect(result.outcome, result.message).toEqual({ kind: 'debug-exit', value: (0x41 << 1) | 1 });
    // With kernelUnpack 'guest' the stand-in decompressor runs instead, and halts.
    const g = createMachine({ memoryMiB: 8 });
    const plan = loadLinux(g, image, { cmdline: 'A console=ttyS0', kernelUnpack: 'guest' });
    expect(plan.unpack).toEqual({ how: 'guest', reason: "kernelUnpack is 'guest'" });
    expect(g.cpu.eip).toBe(0x100000); // not relocatable: loaded at 1 MiB, the decompressor moves itself to 2 MiB
    expect(g.mem.u8[0x100000]).toBe(0xf4);
    expect(g.run({ maxInstructions: 1000 }).outcome.kind).not.toBe('debug-exit');
    m.close();
    g.close();
  });

  it('leaves to the guest what it cannot place, saying why', () => {
    const reason = (image: Uint8Array): string => {
      const u = planLinuxBoot(image, { ramSize: 8 * MiB }).unpack;
      return u.how === 'guest' ? u.reason : 'host';
    };
    expect(reason(syntheticBzImage({ payload: BLOB }))).toMatch(/does not describe the payload/);
    expect(reason(packedBzImage(vmlinux, { version: 0x0207 }))).toMatch(/protocol 2\.07 does not describe the payload/);
    expect(reason(packedBzImage(new Uint8Array([0x42, 0x5a, 0x68, 0x39, 1, 2])))).toMatch(/first bytes 42 5a 68 39\) is not XZ, gzip or ELF/);
    expect(reason(packedBzImage(syntheticVmlinux({ entry: ENTRY, elfClass: 2, segments: [{ paddr: ENTRY, bytes: BLOB }] })))).toMatch(/not a 32-bit/);
    expect(reason(packedBzImage(syntheticVmlinux({ entry: ENTRY, machine: 62, segments: [{ paddr: ENTRY, bytes: BLOB }] })))).toMatch(/not an i386 ELF executable/);
    expect(reason(packedBzImage(syntheticVmlinux({ entry: 0x400000, segments: [{ paddr: ENTRY, bytes: BLOB }] })))).toMatch(/entry 0x400000 is in none of its segments/);
    // Linked below where the header says the kernel runs, or past init_size: the decompressor's relocation would be needed.
    expect(reason(packedBzImage(syntheticVmlinux({ entry: 0x100000, segments: [{ paddr: 0x100000, bytes: BLOB }] })))).toMatch(/segment at 0x100000-0x100011, outside 0x200000-0x300000/);
    expect(reason(packedBzImage(syntheticVmlinux({ entry: ENTRY, segments: [{ paddr: ENTRY, bytes: BLOB, memsz: 0x100001 }] })))).toMatch(/outside 0x200000-0x300000/);
  });

  it.skipIf(!hasXz)('refuses a corrupt XZ payload, naming the problem', () => {
    const packed = kernelXz(vmlinux);
    packed[packed.length - 30]! ^= 0x40;
    expect(() => planLinuxBoot(packedBzImage(packed), { ramSize: 8 * MiB })).toThrow(ConfigError);
    expect(() => planLinuxBoot(packedBzImage(packed), { ramSize: 8 * MiB })).toThrow(/kernel image 'kernel': its XZ-compressed kernel cannot be unpacked: /);
    const gz = new Uint8Array(gzipSync(vmlinux));
    gz[20]! ^= 0xff;
    expect(() => planLinuxBoot(packedBzImage(gz), { ramSize: 8 * MiB })).toThrow(/its gzip-compressed kernel cannot be unpacked/);
  });
});
