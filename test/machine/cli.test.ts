import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, parseMemorySize } from '../../src/cli/args.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'wasmvisor.js');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('argument parsing', () => {
  it('reads QEMU-style sizes', () => {
    expect(parseMemorySize('64')).toBe(64);
    expect(parseMemorySize('512M')).toBe(512);
    expect(parseMemorySize('1G')).toBe(1024);
    expect(parseMemorySize('2g')).toBe(2048);
    expect(() => parseMemorySize('1')).toThrow(/from 2 MiB/);
    expect(() => parseMemorySize('64K')).toThrow(/invalid memory size/);
    expect(() => parseMemorySize('0.5G')).not.toThrow();
  });

  it('accepts the QEMU flags, with one dash or two', () => {
    expect(parseArgs(['-kernel', 'k.bin', '-m', '32', '-cpu', 'i686', '-nographic', '-no-reboot', '--stats']))
      .toMatchObject({ kernel: 'k.bin', memoryMiB: 32, cpu: 'i686', stats: true });
    expect(parseArgs(['--kernel', 'k.bin'])).toMatchObject({ kernel: 'k.bin' });
    expect(() => parseArgs(['-m'])).toThrow(/needs a value/);
    expect(() => parseArgs(['-cpu', 'z80'])).toThrow(/unknown CPU model/);
    expect(() => parseArgs(['k.bin'])).toThrow(/unexpected argument/);
  });

  it('reads the PC flags', () => {
    expect(parseArgs(['-kernel', 'bz', '-initrd', 'rd', '-append', 'console=ttyS0', '-smp', '1', '-no-reboot', '-nographic']))
      .toMatchObject({ kernel: 'bz', initrd: 'rd', append: 'console=ttyS0', noReboot: true, nographic: true, serial: { kind: 'stdio' } });
    expect(parseArgs(['-kernel', 'k'])).toMatchObject({ noReboot: false, nographic: false });
    expect(parseArgs(['-smp', 'cpus=1,sockets=1']).kernel).toBeUndefined();
    expect(() => parseArgs(['-smp', '4'])).toThrow(/only one CPU/);
    expect(parseArgs(['-serial', 'file:/tmp/x', '-debugcon', 'stdio'])).toMatchObject({ serial: { kind: 'file', path: '/tmp/x' }, debugcon: { kind: 'stdio' } });
    expect(parseArgs(['-serial', 'none']).serial).toEqual({ kind: 'none' });
    expect(() => parseArgs(['-debugcon', 'stdio'])).toThrow(/cannot both be 'stdio'/);
    expect(parseArgs(['-device', 'isa-debug-exit,iobase=0x501,iosize=0x02']).debugExit).toEqual({ iobase: 0x501, iosize: 2 });
    expect(parseArgs(['-device', 'isa-debug-exit']).debugExit).toEqual({ iobase: 0xf4, iosize: 4 });
    expect(() => parseArgs(['-device', 'isa-debug-exit,iosize=9'])).toThrow(/1 to 4 ports/);
    expect(parseArgs(['-icount', 'shift=3']).icountShift).toBe(3);
    expect(parseArgs(['-icount', '0']).icountShift).toBe(0);
    expect(() => parseArgs(['-icount', 'auto'])).toThrow(/invalid -icount/);
    expect(() => parseArgs(['-bios', 'b', '-kernel', 'k'])).toThrow(/-bios and -kernel together/);
    expect(() => parseArgs(['-initrd', 'rd'])).toThrow(/-initrd needs -kernel/);
  });
});

describe('wasmvisor command', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-cli-'));

  it('runs the demo guest without -kernel and exits 0', () => {
    const r = cli('--stats');
    expect(r.stdout).toContain('first 20 primes: 2 3 5 7');
    expect(r.stderr).toMatch(/instructions retired: \d+/);
    expect(r.stderr).toMatch(/IO_INSTRUCTION\s+\d+/);
    expect(r.status).toBe(0);
  });

  it('names a missing kernel and exits 2', () => {
    const r = cli('-kernel', join(dir, 'missing.bin'));
    expect(r.stderr).toMatch(/kernel image '.*missing\.bin' does not exist/);
    expect(r.status).toBe(2);
  });

  it('rejects a bad -m and unknown flags with exit 2', () => {
    let r = cli('-m', 'lots');
    expect(r.stderr).toMatch(/invalid memory size 'lots'/);
    expect(r.status).toBe(2);
    r = cli('-frobnicate');
    expect(r.stderr).toMatch(/unknown option '-frobnicate'/);
    expect(r.status).toBe(2);
  });

  it('rejects an image too big for RAM', () => {
    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 0x90));
    const r = cli('-m', '2', '-kernel', big);
    expect(r.stderr).toMatch(/does not fit|leaves only/);
    expect(r.status).toBe(2);
  });

  it("exits with the debug-exit port's status", () => {
    const k = join(dir, 'exit.bin');
    writeFileSync(k, Buffer.from([0xb0, 0x2a, 0xe6, 0xf4])); // mov al, 42; out 0xf4, al
    expect(cli('-kernel', k).status).toBe((42 << 1) | 1);
  });

  it('reports a fault the guest cannot take (no IDT: a triple fault) on stderr with a non-zero status', () => {
    const k = join(dir, 'ud.bin');
    writeFileSync(k, Buffer.from([0x90, 0x0f, 0x0b])); // nop; ud2
    const r = cli('-kernel', k);
    expect(r.stderr).toMatch(/guest triple fault \(shutdown\) delivering #UD: .* at EIP=00100001, bytes there: 0f 0b/);
    expect(r.status).toBe(12);
  });

  it('writes COM1 to a file with -serial file:PATH, and debugcon with -debugcon', () => {
    const k = join(dir, 'serial.bin');
    // mov dx, 3f8h; mov al, 'h'; out dx, al; mov al, 'i'; out dx, al; mov al, 'd'; out 0e9h, al; hlt (IF = 0)
    writeFileSync(k, Buffer.from([0x66, 0xba, 0xf8, 0x03, 0xb0, 0x68, 0xee, 0xb0, 0x69, 0xee, 0xb0, 0x64, 0xe6, 0xe9, 0xf4]));
    const serial = join(dir, 'serial.out');
    const debugcon = join(dir, 'debugcon.out');
    const r = cli('-kernel', k, '-serial', `file:${serial}`, '-debugcon', `file:${debugcon}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(serial, 'latin1')).toBe('hi');
    expect(readFileSync(debugcon, 'latin1')).toBe('d');
    const none = cli('-kernel', k, '-serial', 'none');
    expect(none.stdout).toBe('');
    expect(none.status).toBe(0);
  });

  it('boots a multiboot kernel with -kernel: EAX holds the boot loader magic 2BADB002h', () => {
    const header = Buffer.alloc(32);
    // magic, flags (bit 16: the a.out kludge's address fields), checksum, header/load address 1 MiB, load to the end, no bss, entry 1 MiB + 20h
    [0x1badb002, 0x00010000, (-(0x1badb002 + 0x00010000)) >>> 0, 0x100000, 0x100000, 0, 0, 0x100020].forEach((v, i) => header.writeUInt32LE(v, 4 * i));
    // cmp eax, 2BADB002h; jne +4; mov al, 21; out 0f4h, al; mov al, 1; out 0f4h, al
    const code = Buffer.from([0x3d, 0x02, 0xb0, 0xad, 0x2b, 0x75, 0x04, 0xb0, 0x15, 0xe6, 0xf4, 0xb0, 0x01, 0xe6, 0xf4]);
    const k = join(dir, 'multiboot.bin');
    writeFileSync(k, Buffer.concat([header, code]));
    expect(cli('-kernel', k, '-append', 'console=ttyS0').status).toBe((21 << 1) | 1);
  });

  it('moves isa-debug-exit with -device', () => {
    const k = join(dir, 'exit501.bin');
    writeFileSync(k, Buffer.from([0x66, 0xba, 0x01, 0x05, 0xb0, 0x03, 0xee, 0xf4])); // mov dx, 501h; mov al, 3; out dx, al; hlt
    expect(cli('-kernel', k, '-device', 'isa-debug-exit,iobase=0x501,iosize=0x02').status).toBe((3 << 1) | 1);
  });

  it('ends on a reset with -no-reboot, and reboots the kernel without it', () => {
    const k = join(dir, 'reset.bin');
    // mov al, 'R'; mov dx, 3f8h; out dx, al; mov al, 1; out 92h, al (fast reset); hlt
    writeFileSync(k, Buffer.from([0xb0, 0x52, 0x66, 0xba, 0xf8, 0x03, 0xee, 0xb0, 0x01, 0xe6, 0x92, 0xf4]));
    let r = cli('-kernel', k, '-no-reboot');
    expect(r.stdout).toBe('R');
    expect(r.stderr).toMatch(/guest reset the machine/);
    expect(r.status).toBe(14);
    // Rebooted once; the second identical reset is a loop and ends the run.
    r = cli('-kernel', k);
    expect(r.stdout).toBe('RR');
    expect(r.status).toBe(14);
  });

  it('boots a BIOS image from its reset vector (-bios): code in the ROM above 4 GiB - 64 KiB and in its copy below 1 MiB', () => {
    const rom = Buffer.alloc(64 * 1024, 0xff);
    // At FFFFFFF0h (MMIO ROM): mov al, 5; jmp far F000:E000 (the RAM copy at FE000h): out 0f4h, al
    Buffer.from([0xb0, 0x05, 0xea, 0x00, 0xe0, 0x00, 0xf0]).copy(rom, 0xfff0);
    Buffer.from([0xe6, 0xf4]).copy(rom, 0xe000);
    const bios = join(dir, 'bios.bin');
    writeFileSync(bios, rom);
    expect(cli('-bios', bios).status).toBe((5 << 1) | 1);
    const odd = join(dir, 'odd-bios.bin');
    writeFileSync(odd, Buffer.alloc(1000));
    const r = cli('-bios', odd);
    expect(r.stderr).toMatch(/whole number of 64 KiB blocks/);
    expect(r.status).toBe(2);
  });

  it('rejects what it cannot do with a clear message and exit 2', () => {
    const k = join(dir, 'exit.bin');
    const cases: [string[], RegExp][] = [
      [['-smp', '2'], /only one CPU/],
      [['-kernel', k, '-bios', k], /-bios and -kernel together/],
      [['-kernel', k, '-serial', 'pty'], /unsupported -serial 'pty'/],
      [['-kernel', k, '-device', 'e1000'], /unsupported -device 'e1000'/],
      [['-kernel', k, '-append', 'quiet'], /neither a Linux bzImage nor a multiboot image/],
      [['-kernel', k, '-initrd', join(dir, 'missing.img')], /neither a Linux bzImage|does not exist/],
      [['-append', 'quiet'], /-append needs -kernel/],
    ];
    for (const [args, message] of cases) {
      const r = cli(...args);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.status, args.join(' ')).toBe(2);
    }
  });

  it('prints help', () => {
    const r = cli('--help');
    expect(r.stdout).toMatch(/-kernel FILE/);
    expect(r.status).toBe(0);
  });
});
