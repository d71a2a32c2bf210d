/**
 * The boot protocol on Debian's real i386 kernels, from the cache that
 * `npm run guest:linux` fills. Skipped, with a message, when it has not run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMachine } from '../../src/machine.js';
import { LINUX_CMDLINE_ADDRESS, LINUX_ZERO_PAGE_ADDRESS, loadLinux, parseSetupHeader, planLinuxBoot } from '../../src/loaders/linux.js';
import { initramfsName, LINUX_FLAVOURS, LINUX_GUEST_CACHE, readLinuxGuestManifest, vmlinuzName } from '../../guests/linux/paths.js';

const manifest = readLinuxGuestManifest();
if (!manifest) console.warn(`Debian kernel boot-protocol tests are skipped: no ${LINUX_GUEST_CACHE}/manifest.json (run npm run guest:linux)`);

const MiB = 1024 * 1024;
const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

describe.skipIf(!manifest)('Debian kernels from npm run guest:linux', () => {
  for (const flavour of LINUX_FLAVOURS) {
    const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(LINUX_GUEST_CACHE, name)));

    it(`${flavour}: has the setup header Debian builds (protocol 2.15, relocatable, 16 MiB)`, () => {
      const release = manifest!.flavours[flavour].release;
      const h = parseSetupHeader(read(vmlinuzName(flavour)), vmlinuzName(flavour));
      expect(h.version).toBeGreaterThanOrEqual(0x020a);
      expect(h.kernelVersion!.startsWith(`${release} `)).toBe(true);
      // CONFIG_RELOCATABLE=y, CONFIG_PHYSICAL_START = CONFIG_PHYSICAL_ALIGN = 0x1000000 in Debian's i386 configs.
      expect(h).toMatchObject({ relocatable: true, kernelAlignment: 0x1000000, prefAddress: 0x1000000, loadflags: 1, code32Start: 0x100000 });
      expect(h.initSize).toBeGreaterThan(h.kernelSize);
      expect(h.cmdlineSize).toBe(2047);
      expect(h.initrdAddrMax).toBe(0x7fffffff);
      // The payload the header points at is compressed ELF (CONFIG_KERNEL_XZ: "FD 37 7A 58 5A").
      const image = read(vmlinuzName(flavour));
      const payload = image.subarray(h.kernelOffset + h.payloadOffset, h.kernelOffset + h.payloadOffset + 6);
      expect([...payload]).toEqual([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
    });

    it(`${flavour}: is planned at pref_address with the initrd at the top of RAM and the zero page filled`, () => {
      const image = read(vmlinuzName(flavour));
      const initrd = read(initramfsName(flavour));
      const plan = planLinuxBoot(image, { ramSize: 256 * MiB, initrd, cmdline: 'console=ttyS0 wasmvisor.cmd="uname -a"', kernelUnpack: 'guest' });
      expect(plan.loadAddress).toBe(0x1000000);
      expect(plan.runtimeStart).toBe(0x1000000);
      expect(plan.runtimeEnd).toBe(0x1000000 + plan.header.initSize);
      expect(plan.initrd).toEqual({ address: Math.floor((256 * MiB - initrd.length) / 4096) * 4096, size: initrd.length });
      const zp = plan.regions.find((r) => r.what === 'zero-page')!.bytes;
      expect(zp[0x1ef]).toBe(0); // sentinel
      expect(zp.subarray(0x1f1, 0x210)).toEqual(image.subarray(0x1f1, 0x210)); // setup_sects .. kernel_version, as in the file
      expect(zp.subarray(0x22c, plan.header.headerEnd)).toEqual(image.subarray(0x22c, plan.header.headerEnd)); // initrd_addr_max .. end
      expect(zp[0x210]).toBe(0xff);
      expect(u32(zp, 0x214)).toBe(0x1000000);
      expect([u32(zp, 0x218), u32(zp, 0x21c)]).toEqual([plan.initrd!.address, initrd.length]);
      expect(u32(zp, 0x228)).toBe(LINUX_CMDLINE_ADDRESS);
      expect(zp[0x1e8]).toBe(3);
    });

    it(`${flavour}: is written into a 256 MiB machine and entered at its 32-bit entry (kernelUnpack 'guest')`, () => {
      const m = createMachine({ memoryMiB: 256 });
      const image = read(vmlinuzName(flavour));
      const initrd = read(initramfsName(flavour));
      const plan = loadLinux(m, image, { initrd, cmdline: 'console=ttyS0', kernelUnpack: 'guest' });
      expect(m.mem.u8.subarray(0x1000000, 0x1000000 + 4096)).toEqual(image.subarray(plan.header.kernelOffset, plan.header.kernelOffset + 4096));
      expect(m.mem.u8.subarray(plan.initrd!.address, plan.initrd!.address + 2)).toEqual(new Uint8Array([0x1f, 0x8b])); // gzip
      expect(m.cpu.eip).toBe(0x1000000);
      expect(m.cpu.regs[6]).toBe(LINUX_ZERO_PAGE_ADDRESS);
      expect(m.cpu.mode.protectedMode && m.cpu.mode.code32).toBe(true);
      m.close();
    });

    it(`${flavour}: is unpacked on the host into a 256 MiB machine and entered at startup_32 (the default)`, () => {
      const m = createMachine({ memoryMiB: 256 });
      const image = read(vmlinuzName(flavour));
      const initrd = read(initramfsName(flavour));
      const plan = loadLinux(m, image, { initrd, cmdline: 'console=ttyS0' });
      expect(plan.unpack).toMatchObject({ how: 'host', format: 'xz', entry: 0x1000000 });
      const h = plan.header;
      const kernel = plan.regions.filter((r) => r.what === 'kernel');
      // vmlinux's PT_LOADs: text+data from LOAD_PHYSICAL_ADDR, then the rest to _end, all inside init_size.
      expect(kernel[0]!.address).toBe(0x1000000);
      const end = Math.max(...kernel.map((r) => r.address + r.bytes.length));
      expect(end).toBeLessThanOrEqual(0x1000000 + h.initSize);
      for (const r of kernel) expect(m.mem.u8.subarray(r.address, r.address + 4096)).toEqual(r.bytes.subarray(0, 4096));
      // Not the decompressor: its first bytes differ from the kernel's startup_32.
      expect(m.mem.u8.subarray(0x1000000, 0x1000010)).not.toEqual(image.subarray(h.kernelOffset, h.kernelOffset + 16));
      expect(m.cpu.eip).toBe(0x1000000);
      expect(m.cpu.regs[6]).toBe(LINUX_ZERO_PAGE_ADDRESS);
      expect(plan.initrd!.address).toBeGreaterThanOrEqual(end);
      m.close();
    });

    it(`${flavour}: asks for the RAM it needs when given too little`, () => {
      const image = read(vmlinuzName(flavour));
      const end = 0x1000000 + parseSetupHeader(image).initSize;
      const need = Math.ceil(end / MiB);
      expect(() => planLinuxBoot(image, { kernelUnpack: 'guest', ramSize: (need - 1) * MiB })).toThrow(new RegExp(`needs RAM up to 0x${end.toString(16)} .* at least ${need} MiB`));
      expect(() => planLinuxBoot(image, { kernelUnpack: 'guest', ramSize: need * MiB })).not.toThrow();
      // An initrd one page larger than the room between the kernel's end and the end of RAM.
      const room = need * MiB - Math.ceil(end / 4096) * 4096;
      expect(() => planLinuxBoot(image, { kernelUnpack: 'guest', ramSize: need * MiB, initrd: new Uint8Array(room) })).not.toThrow();
      expect(() => planLinuxBoot(image, { kernelUnpack: 'guest', ramSize: need * MiB, initrd: new Uint8Array(room + 4096) })).toThrow(/the initrd .* does not fit/);
    });
  }
});
