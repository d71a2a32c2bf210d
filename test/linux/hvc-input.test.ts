/**
 * Typing into a shell on /dev/hvc0 through the command line: COM1 goes to
 * a file, the virtio console to stdout, so stdin feeds the console
 * (src/cli/stdin.ts). The test types once the shell's prompt is out:
 * Linux's virtio_console without MULTIPORT frees receive buffers the
 * device fills before its port is registered (in_intr, flush_bufs), so
 * what the device holds until DRIVER_OK and hands over with the first
 * buffers is lost in the guest (test/machine/stdin.test.ts checks the
 * holding itself). `exit` ends the shell, /init powers off.
 * Skipped, saying so, when the guest images have not been built (npm run
 * guest:linux).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, CACHE, INITRD, KERNEL, RUN_TIMEOUT_MS } from './guest-files.js';

/** The booted guest answers a typed line within seconds; this bounds a lost line. */
const ANSWER_TIMEOUT_MS = 120_000;

const missing = !existsSync(KERNEL) || !existsSync(INITRD);
if (missing) console.warn(`test/linux: skipping the hvc0 input test: ${CACHE} lacks vmlinuz-686 and initramfs-686.cpio.gz (build them with npm run guest:linux)`);

describe.skipIf(missing)('Linux 686 with a shell on a virtio console', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-hvc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes typed input on stdin into /dev/hvc0 and answers on stdout', async () => {
    const log = join(dir, 'com1.log');
    const proc = spawn(process.execPath, [
      BIN, '-m', '256', '-kernel', KERNEL, '-initrd', INITRD,
      '-append', 'console=ttyS0 cryptomgr.notests wasmvisor.cmd="sh </dev/hvc0 >/dev/hvc0 2>&1"',
      '-serial', `file:${log}`, '-device', 'virtio-console', '-no-reboot', '--strategy', 'jit-hot',
    ], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => proc.kill('SIGKILL'), RUN_TIMEOUT_MS);
    const status = new Promise<number | null>((resolve) => proc.on('close', (s) => resolve(s)));
    try {
      const until = async (re: RegExp, ms = RUN_TIMEOUT_MS): Promise<void> => {
        const deadline = Date.now() + ms;
        while (!re.test(stdout) && proc.exitCode === null && proc.signalCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      };
      await until(/\/ # /); // the prompt (then its line editor asks where the cursor is: ESC [6n)
      // Arithmetic, so the shell's echo of the typed line cannot pass for its output.
      proc.stdin.write('echo $((6*7))\n');
      const answer = /(^|[^0-9])42\r\n/;
      await until(answer, ANSWER_TIMEOUT_MS);
      expect(stdout).toMatch(answer);
      proc.stdin.end('exit\n');
      expect(await status).toBe(0);
    } finally {
      clearTimeout(timer);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    // The shell's line editor echoed what was typed.
    expect(stdout).toContain('echo $((6*7))');
    expect(stderr).toBe('');
    const com1 = readFileSync(log, 'utf8');
    expect(com1).toContain('wasmvisor: running: sh </dev/hvc0 >/dev/hvc0 2>&1');
    expect(com1).toContain('wasmvisor: exit status 0');
  }, RUN_TIMEOUT_MS + 10_000);
});
