/**
 * --kernel-unpack through the command line. test/linux/boot.test.ts boots
 * both Debian kernels with the default, 'host' (the payload unpacked by
 * src/loaders/xz.ts); this boots the 686 kernel once with 'guest', its
 * own XZ decompressor running in the guest as before, to the same shell.
 * Also: the option's parsing and --help, and --stats saying where a
 * small synthetic kernel was unpacked. The boot is skipped, saying so,
 * when the guest images have not been built (npm run guest:linux).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticBzImage, syntheticVmlinux } from '../loaders/bzimage.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'wasmvisor.js');
const CACHE = join(ROOT, 'guests', 'linux', 'cache');
const BOOT_TIMEOUT_MS = 600_000;
const haveImages = existsSync(join(CACHE, 'vmlinuz-686')) && existsSync(join(CACHE, 'initramfs-686.cpio.gz'));
if (!haveImages) console.warn(`test/linux/unpack.test.ts: skipping the guest-unpacked boot: ${CACHE} lacks the 686 images (npm run guest:linux)`);

function wasmvisor(args: string[], timeout = 60_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const work = mkdtempSync(join(tmpdir(), 'wasmvisor-unpack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('--kernel-unpack', () => {
  it('is in --help, and a bad value is a usage error (exit 2)', () => {
    expect(wasmvisor(['--help']).stdout).toMatch(/--kernel-unpack host\|guest/);
    const r = wasmvisor(['--kernel-unpack', 'gpu', '-kernel', BIN]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/invalid --kernel-unpack 'gpu' \(give host or guest\)/);
  });

  it('--stats says where a kernel was unpacked', () => {
    // An uncompressed-ELF payload whose startup code exits at once through isa-debug-exit (value 0x21).
    const code = new Uint8Array([0xb8, 0x21, 0, 0, 0, 0x66, 0xba, 0xf4, 0x00, 0xef, 0xf4]); // mov eax, 0x21; mov dx, 0xf4; out dx, eax; hlt
    const elf = syntheticVmlinux({ entry: 0x200000, segments: [{ paddr: 0x200000, bytes: code }] });
    const stub = new Uint8Array(16).fill(0xf4);
    const image = syntheticBzImage({ payload: new Uint8Array([...stub, ...elf]), payloadOffset: 16, payloadLength: elf.length, prefAddress: 0x200000, initSize: 0x100000 });
    const file = join(work, 'bzImage');
    writeFileSync(file, image);
    const host = wasmvisor(['-m', '8', '-kernel', file, '--stats']);
    expect(host.status).toBe((0x21 << 1) | 1);
    expect(host.stderr).toMatch(/kernel: unpacked on the host \(elf, 1 segments, 11 bytes, entry 0x200000\) in \d+ ms/);
    const guest = wasmvisor(['-m', '8', '-kernel', file, '--stats', '--kernel-unpack', 'guest', '-icount', '0']);
    expect(guest.stderr).toMatch(/kernel: unpacked by its own decompressor in the guest \(kernelUnpack is 'guest'\)/);
    expect(guest.status).not.toBe((0x21 << 1) | 1);
  });

  it.skipIf(!haveImages)('guest: Debian 686 boots to its shell through its own decompressor', () => {
    const r = wasmvisor([
      '-m', '256', '-kernel', join(CACHE, 'vmlinuz-686'), '-initrd', join(CACHE, 'initramfs-686.cpio.gz'),
      '-append', 'console=ttyS0 wasmvisor.cmd="uname -a; echo $((6*7))"', '-nographic', '-no-reboot', '-icount', 'shift=3',
      '--strategy', 'jit-hot', '--kernel-unpack', 'guest', '--stats',
    ], BOOT_TIMEOUT_MS);
    expect(r.stdout).toMatch(/Linux \(none\) 6\.1\.\S+-686 #1 SMP .* i686 GNU\/Linux/);
    expect(r.stdout).toMatch(/^42\r?$/m);
    expect(r.stdout).toContain('wasmvisor: exit status 0');
    expect(r.stderr).toMatch(/kernel: unpacked by its own decompressor in the guest/);
    expect(r.status).toBe(0);
  }, BOOT_TIMEOUT_MS + 10_000);
});
