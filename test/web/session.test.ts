/**
 * The browser's machine front end (src/browser/session.ts, guest-loader.ts,
 * node-globals.ts) run in Node: the same code the VM
 * worker runs, without a browser.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VmSession } from '../../src/browser/session.js';
import { detectFormat } from '../../src/browser/guest-loader.js';
import { installNodeGlobals } from '../../src/browser/node-globals.js';
import type { GuestImages, MachineOptions } from '../../src/browser/protocol.js';
import { ConfigError } from '../../src/errors.js';
import { ensureDemoGuest } from '../../src/toolchain.js';
import { syntheticBzImage } from '../loaders/bzimage.js';
import { ECHO_GUEST } from './guests.js';

const OPTIONS: MachineOptions = { memoryMiB: 16, tier: 'interpreter', paging: 'nested', fpu: 'exact', cpu: 'i686' };
const DEMO_OUTPUT = `wasmvisor demo guest: hello from 32-bit protected mode
cpu vendor: GenuineIntel
first 20 primes: 2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 53 59 61 67 71
12! = 479001600
crc32("The quick brown fox jumps over the lazy dog") = 414fa339
bye
`;

/** `mov dx, 3F8h; mov al, c; out dx, al; cli; hlt`: position-independent, for synthetic kernels. */
const printAndHalt = (c: string): number[] => [0x66, 0xba, 0xf8, 0x03, 0xb0, c.charCodeAt(0), 0xee, 0xfa, 0xf4];

function image(kernel: Uint8Array, extra: Partial<GuestImages> = {}): GuestImages {
  return { kernel, kernelName: 'kernel.bin', cmdline: '', format: 'auto', ...extra };
}

/** A session whose COM1 output is collected as text. */
function session(guest: GuestImages, options: Partial<MachineOptions> = {}): { s: VmSession; out: () => string } {
  let text = '';
  const s = new VmSession(guest, { ...OPTIONS, ...options }, { serial: (b) => { text += Buffer.from(b).toString('latin1'); } });
  return { s, out: () => text };
}

/** Run until `done` holds or the guest stops, at most `ms` of host time. */
function runUntil(s: VmSession, done: () => boolean, ms = 20_000): void {
  const end = performance.now() + ms;
  while (!done() && !s.ended && performance.now() < end) s.runFor(20);
}

/** A multiboot image with the a.out kludge: the header at offset 0, loaded at 1 MiB, entered at 0x100020. */
function multibootKernel(code: number[]): Uint8Array {
  const bytes = new Uint8Array(0x20 + code.length);
  const view = new DataView(bytes.buffer);
  const magic = 0x1badb002;
  const flags = 0x00010002; // a.out kludge, memory information
  [magic, flags, (-(magic + flags)) >>> 0, 0x100000, 0x100000, 0, 0, 0x100020].forEach((v, k) => view.setUint32(4 * k, v, true));
  bytes.set(code, 0x20);
  return bytes;
}

function cString(s: VmSession, at: number): string {
  let text = '';
  for (let c = s.machine.mem.read8(at); c !== 0; c = s.machine.mem.read8(++at)) text += String.fromCharCode(c);
  return text;
}

describe('VmSession', () => {
  it('boots the demo guest from bytes and runs it to its halt in bursts', () => {
    const { s, out } = session(image(new Uint8Array(readFileSync(ensureDemoGuest())), { kernelName: 'demo.bin' }));
    expect(s.format).toBe('flat');
    expect(s.detail).toMatch(/^flat binary: \d+ bytes at 0x100000$/);
    runUntil(s, () => false);
    expect(out()).toBe(DEMO_OUTPUT);
    expect(s.ended?.outcome.kind).toBe('halted');
    expect(s.runFor(10)).toBe(s.ended); // an ended guest stays ended
    const sample = s.sample();
    expect(sample.retired).toBeGreaterThan(1000);
    expect(sample.exits['CPUID']).toBe(1);
    expect(sample.exits['HLT']).toBe(1);
    expect(sample.cache).toBeNull();
    s.dispose();
  });

  it('hands keystrokes to COM1 one at a time, and the JIT tier reports its cache', { timeout: 60_000 }, () => {
    const { s, out } = session(image(new Uint8Array(readFileSync(ECHO_GUEST.images().kernel))), { tier: 'jit-eager', memoryMiB: 4 });
    runUntil(s, () => out().endsWith('> '));
    // More than the UART's 16-byte FIFO at once: pacing keeps every byte.
    const line = 'echo more than sixteen bytes';
    s.type(new TextEncoder().encode(`${line}\r`));
    expect(s.typeAhead).toBe(line.length + 1);
    runUntil(s, () => out().endsWith('bytes\r\n> '));
    expect(out()).toBe(`wasmvisor echo guest: type help\r\n> ${line}\r\nmore than sixteen bytes\r\n> `);
    expect(s.typeAhead).toBe(0);
    const sample = s.sample();
    expect(sample.exits['IO_INSTRUCTION']).toBeGreaterThan(100);
    // The tier's own bookkeeping (JitTier.cacheSize()).
    expect(sample.cache).not.toBeNull();
    expect(sample.cache!.translations).toBeGreaterThan(0);
    expect(sample.cache!.modules).toBeGreaterThan(0);
    expect(sample.cache!.wasmBytes).toBeGreaterThan(0);
    expect(sample.compiles).toBeGreaterThan(0);
    s.dispose();
  });

  it('boots a bzImage through the Linux boot protocol with its initrd and command line', () => {
    const kernel = syntheticBzImage({ payload: new Uint8Array(printAndHalt('L')), kernelVersion: '6.1.0-test (builder@host) #1' });
    const initrd = new Uint8Array(4096).fill(0x5a);
    const { s, out } = session(image(kernel, { initrd, initrdName: 'initrd.img', cmdline: 'console=ttyS0 quiet' }), { memoryMiB: 64 });
    expect(s.format).toBe('linux');
    expect(s.detail).toMatch(/^Linux 6\.1\.0-test \(32-bit boot protocol\): kernel at 0x[0-9a-f]+, initrd 4096 bytes at 0x[0-9a-f]+, command line 'console=ttyS0 quiet'$/);
    // ESI points at the zero page, whose cmd_line_ptr (0x228) and ramdisk_image (0x218) say where the rest went.
    const zeroPage = s.machine.cpu.regs[6]!;
    const word = (at: number): number => s.machine.mem.read32(at) >>> 0;
    expect(cString(s, word(zeroPage + 0x228))).toBe('console=ttyS0 quiet');
    expect(s.machine.mem.read8(word(zeroPage + 0x218))).toBe(0x5a);
    runUntil(s, () => false);
    expect(out()).toBe('L');
    expect(s.ended?.outcome.kind).toBe('halted');
    s.dispose();
  });

  it('boots a multiboot kernel with the command line and module QEMU would give it', () => {
    const module = new TextEncoder().encode('module bytes');
    const { s, out } = session(image(multibootKernel(printAndHalt('M')), { cmdline: 'verbose=1', initrd: module, initrdName: 'mod.txt' }));
    expect(s.format).toBe('multiboot');
    expect(s.machine.cpu.regs[0]! >>> 0).toBe(0x2badb002);
    const info = s.machine.cpu.regs[3]! >>> 0;
    const word = (at: number): number => s.machine.mem.read32(at) >>> 0;
    expect(cString(s, word(info + 16))).toBe('kernel.bin verbose=1');
    expect(word(info + 20)).toBe(1);
    const mod = word(info + 24);
    const start = word(mod);
    expect(word(mod + 4) - start).toBe(module.length);
    expect(s.machine.mem.read8(start)).toBe('m'.charCodeAt(0));
    expect(cString(s, word(mod + 8))).toBe('mod.txt');
    runUntil(s, () => false);
    expect(out()).toBe('M');
    s.dispose();
  });

  it('runs in paced time: a guest halted until a timer ends the burst, and its time waits for the host', () => {
    // Mask both 8259s (no IDT here), start PIT counter 0 in mode 0 with count 0 (65536 ticks of
    // 1.193182 MHz: about 55 ms, the slowest timer the PIT has), then STI; HLT until it expires.
    const code = [
      0xb0, 0xff, 0xe6, 0x21, 0xe6, 0xa1, // mov al, 0FFh; out 21h, al; out 0A1h, al
      0xb0, 0x30, 0xe6, 0x43, // mov al, 30h (counter 0, LSB then MSB, mode 0, binary); out 43h, al
      0x31, 0xc0, 0xe6, 0x40, 0xe6, 0x40, // xor eax, eax; out 40h, al (LSB); out 40h, al (MSB)
      0xfb, 0xf4, 0xeb, 0xfd, // sti; hlt; jmp hlt
    ];
    const { s } = session(image(multibootKernel(code)));
    const expiry = (65536 / 1_193_182) * 1e9;
    const t0 = performance.now();
    expect(s.runFor(5_000)).toBeNull();
    // Back long before the 5 s asked for: the guest is halted, waiting for the PIT.
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(s.machine.cpu.halted).toBe(true);
    expect(s.idleMs).toBeGreaterThan(0);
    expect(s.idleMs).toBeLessThanOrEqual(50);
    // Running again at once does not move guest time to the timer: it waits for the host.
    expect(s.runFor(5)).toBeNull();
    expect(s.machine.clock.now()).toBeLessThan(expiry);
    // Once the host's clock is past the expiry, the next burst lets guest time reach it.
    const until = t0 + expiry / 1e6 + 20;
    while (performance.now() < until);
    s.runFor(5);
    expect(s.machine.clock.now()).toBeGreaterThanOrEqual(expiry);
    s.dispose();
  });

  it('refuses what a flat image cannot take, and asynchronous strategies without a compile service', () => {
    const demo = new Uint8Array(readFileSync(ensureDemoGuest()));
    expect(() => session(image(demo, { initrd: new Uint8Array(8) }))).toThrow(/flat binary, which takes no initrd/);
    expect(() => session(image(demo, { cmdline: 'quiet' }))).toThrow(/flat binary, which takes no command line/);
    expect(() => session(image(demo), { tier: 'jit-hot-async' })).toThrow(ConfigError);
    expect(() => session(image(demo), { tier: 'jit-warp-speed' })).toThrow(/unknown execution tier 'jit-warp-speed'/);
    expect(() => session(image(demo), { paging: 'psychic' })).toThrow(/unknown paging policy 'psychic'/);
    expect(() => session(image(demo), { fpu: 'approximate' as 'fast' })).toThrow(/unknown x87 strategy 'approximate'/);
    expect(() => session(image(demo, { format: 'linux' }))).toThrow(ConfigError);
  });
});

describe('detectFormat', () => {
  it('tells a bzImage, a multiboot kernel and a flat binary apart', () => {
    expect(detectFormat(syntheticBzImage({ payload: new Uint8Array(16) }))).toBe('linux');
    expect(detectFormat(multibootKernel([0xf4]))).toBe('multiboot');
    expect(detectFormat(new Uint8Array(readFileSync(ensureDemoGuest())))).toBe('flat');
    expect(detectFormat(new Uint8Array(0))).toBe('flat');
  });
});

describe('node-globals stand-ins', () => {
  it('give a worker without Node the process and Buffer members the engine uses, and never replace real ones', () => {
    const scope: Record<string, unknown> = {};
    installNodeGlobals(scope);
    const p = scope['process'] as { env: Record<string, string>; hrtime: { bigint(): bigint }; versions?: unknown };
    expect(p.env['NOBULK']).toBeUndefined();
    expect(p.versions).toBeUndefined(); // binaryen.js must not take the worker for Node
    const t0 = p.hrtime.bigint();
    const spin = performance.now() + 2;
    while (performance.now() < spin);
    expect(p.hrtime.bigint() - t0).toBeGreaterThanOrEqual(1_000_000n);
    const b = scope['Buffer'] as { byteLength(s: string, e: string): number; from(s: string, e: string): Uint8Array };
    expect(b.byteLength('caf\xe9\0', 'latin1')).toBe(5);
    expect([...b.from('caf\xe9\0', 'latin1')]).toEqual([...Buffer.from('caf\xe9\0', 'latin1')]);
    expect(() => b.from('x', 'utf8')).toThrow(/only 'latin1'/);

    const real = { process, Buffer } as Record<string, unknown>;
    installNodeGlobals(real);
    expect(real['process']).toBe(process);
    expect(real['Buffer']).toBe(Buffer);
  });
});
