/**
 * Real Linux: Debian's 6.1 kernels (686 and 686-pae) with the project's
 * initramfs boot to its /init, which runs the command given as
 * wasmvisor.cmd= on the kernel command line, prints its exit status and
 * powers off (a HLT with interrupts off: the run ends with status 0).
 * Run through the command line as a person would, with the JIT and with
 * guest time counted in instructions (-icount), so every run boots the
 * same way. Skipped, saying so, when the guest images have not been built
 * (npm run guest:linux).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'wasmvisor.js');
const CACHE = join(ROOT, 'guests', 'linux', 'cache');
/** A boot to the shell takes a few minutes on a loaded 2-core host; a hung boot fails at this bound. */
const BOOT_TIMEOUT_MS = 600_000;

const FLAVOURS = ['686', '686-pae'] as const;
const missing = FLAVOURS.filter((f) => !existsSync(join(CACHE, `vmlinuz-${f}`)) || !existsSync(join(CACHE, `initramfs-${f}.cpio.gz`)));
if (missing.length) console.warn(`test/linux: skipping the Linux boots of ${missing.join(', ')}: ${CACHE} lacks their images (build them with npm run guest:linux)`);

/** The main job's strategy (npm run linux) boots the 686 kernel; the trap strategy boots the PAE one. */
const STRATEGY: Readonly<Record<(typeof FLAVOURS)[number], string>> = { '686': 'jit-inline', '686-pae': 'jit-hot' };

function boot(flavour: (typeof FLAVOURS)[number], cmd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [
    BIN, '-m', '256', '-kernel', join(CACHE, `vmlinuz-${flavour}`), '-initrd', join(CACHE, `initramfs-${flavour}.cpio.gz`),
    '-append', `console=ttyS0 wasmvisor.cmd="${cmd}"`, '-nographic', '-no-reboot', '-icount', 'shift=3', '--strategy', STRATEGY[flavour],
  ], { encoding: 'utf8', timeout: BOOT_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('Debian Linux 6.1 boots to a shell', () => {
  for (const flavour of FLAVOURS) {
    it.skipIf(missing.includes(flavour))(`${flavour}: runs a command and powers off (${STRATEGY[flavour]})`, () => {
      const r = boot(flavour, 'uname -a; echo $((6*7))');
      expect(r.stdout).toMatch(new RegExp(`Linux \\(none\\) 6\\.1\\.\\S+-${flavour.replace('-', '\\-')} #1 SMP .* i686 GNU/Linux`));
      expect(r.stdout).toMatch(/^42\r?$/m);
      expect(r.stdout).toContain('wasmvisor: exit status 0');
      expect(r.stdout).toContain('reboot: System halted');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }, BOOT_TIMEOUT_MS + 10_000);
  }
});
