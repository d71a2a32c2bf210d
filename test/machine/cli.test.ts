import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
});

describe('wasmvisor command', () => {
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

  it('prints help', () => {
    const r = cli('--help');
    expect(r.stdout).toMatch(/-kernel FILE/);
    expect(r.status).toBe(0);
  });
});
