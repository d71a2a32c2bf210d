/**
 * Linux drives the PC's virtio devices, through the command line as a
 * person would: a virtio-blk disk (a raw image file) and a virtio console
 * in one boot, then two wasmvisor processes joined by a socket netdev on
 * 127.0.0.1 pinging each other. The initramfs loads the virtio modules
 * before it runs wasmvisor.cmd. `cryptomgr.notests` skips the kernel's
 * crypto self-tests (two thirds of the boot). Skipped, saying so, when the
 * guest images have not been built (npm run guest:linux).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, CACHE, INITRD, KERNEL, RUN_TIMEOUT_MS } from './guest-files.js';


const missing = !existsSync(KERNEL) || !existsSync(INITRD);
if (missing) console.warn(`test/linux: skipping the virtio tests: ${CACHE} lacks vmlinuz-686 and initramfs-686.cpio.gz (build them with npm run guest:linux)`);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A running CLI: its output so far, and its end (killed, status null, after RUN_TIMEOUT_MS). */
interface Child {
  proc: ChildProcess;
  stdout: string;
  stderr: string;
  done: Promise<Run>;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Boot the 686 kernel with `cmd` as wasmvisor.cmd, plus `extra` flags. */
function start(cmd: string, extra: readonly string[]): Child {
  const proc = spawn(process.execPath, [
    BIN, '-m', '256', '-kernel', KERNEL, '-initrd', INITRD,
    '-append', `console=ttyS0 cryptomgr.notests wasmvisor.cmd="${cmd}"`, '-nographic', '-no-reboot', '--strategy', 'jit-hot', ...extra,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  const child: Child = { proc, stdout: '', stderr: '', done: undefined as unknown as Promise<Run> };
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (child.stdout += s));
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (child.stderr += s));
  child.done = new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), RUN_TIMEOUT_MS);
    proc.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: child.stdout, stderr: child.stderr });
    });
  });
  return child;
}

/** Wait until the child's stderr matches `re` (or it ends, or 60 s pass). */
async function waitForStderr(child: Child, re: RegExp): Promise<RegExpMatchArray> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = re.exec(child.stderr);
    if (m) return m;
    if (child.proc.exitCode !== null || child.proc.signalCode !== null || Date.now() > deadline) {
      throw new Error(`no ${re} from the listener; stderr: ${child.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(missing)('Linux 686 with virtio devices', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-virtio-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and writes a virtio-blk disk and writes to hvc0', async () => {
    // A 64 KiB image: sector 1 holds (7i + 3) mod 256, everything else zeros.
    const image = new Uint8Array(64 * 1024);
    for (let i = 0; i < 512; i++) image[512 + i] = (i * 7 + 3) & 0xff;
    const disk = join(dir, 'disk.img');
    const hvc = join(dir, 'hvc0.out');
    writeFileSync(disk, image);
    // Arithmetic in the command, so the command echo on COM1 cannot pass for its output.
    const cmd = [
      'dd if=/dev/vda bs=512 skip=1 count=1 2>/dev/null | od -An -tx1 | head -2',
      'echo written-by-guest | dd of=/dev/vda bs=512 seek=3 conv=notrunc,fsync 2>/dev/null',
      'sync',
      'echo hvc0-says-$((6*7)) > /dev/hvc0',
    ].join('; ');
    const r = await start(cmd, ['-icount', 'shift=3', '-drive', `file=${disk},if=virtio,format=raw`, '-device', `virtio-console,path=${hvc}`]).done;

    expect(r.stdout).toMatch(/virtio_blk virtio\d: \[vda\] 128 512-byte logical blocks/);
    const hexLine = (from: number): string => ' ' + Array.from(image.subarray(512 + from, 512 + from + 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
    expect(r.stdout).toContain(hexLine(0));
    expect(r.stdout).toContain(hexLine(16));
    expect(r.stdout).toContain('wasmvisor: exit status 0');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    const after = new Uint8Array(readFileSync(disk));
    const written = new TextEncoder().encode('written-by-guest\n');
    expect(Array.from(after.subarray(3 * 512, 3 * 512 + written.length))).toEqual(Array.from(written));
    // The rest of the image is as it was: dd wrote 17 bytes at sector 3 and nothing else.
    const expected = image.slice();
    expected.set(written, 3 * 512);
    expect(Buffer.compare(Buffer.from(after), Buffer.from(expected))).toBe(0);

    // The tty layer's default output processing (OPOST ONLCR) turns the newline into CR LF.
    expect(readFileSync(hvc, 'utf8')).toBe('hvc0-says-42\r\n');
  }, RUN_TIMEOUT_MS + 10_000);

  it('two guests ping each other over a socket netdev', async () => {
    // Guest time follows the host's clock (no -icount): ping's intervals and timeouts are
    // then host time in both processes, and a halted guest waits for the peer's frames.
    const guest = (self: string, peer: string): string => [
      'ip link set eth0 up',
      `ip addr add ${self}/24 dev eth0`,
      // The peer boots at its own pace: wait for it (at most about two minutes), then measure.
      `i=0; until ping -c 1 -W 1 ${peer} >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 120 ] && break; done`,
      `ping -c 3 ${peer}; r=$?`,
      // Stay up while the peer's own three pings run.
      'sleep 8; exit $r',
    ].join('; ');
    const a = start(guest('10.0.2.15', '10.0.2.16'), ['-netdev', 'socket,id=n0,listen=127.0.0.1:0', '-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:12:34:01']);
    const port = (await waitForStderr(a, /n0: listening on 127\.0\.0\.1:(\d+)/))[1]!;
    const b = start(guest('10.0.2.16', '10.0.2.15'), ['-netdev', `socket,id=n0,connect=127.0.0.1:${port}`, '-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:12:34:02']);
    const [ra, rb] = await Promise.all([a.done, b.done]);

    for (const [r, peer] of [[ra, '10.0.2.16'], [rb, '10.0.2.15']] as const) {
      expect(r.stdout).toContain(`PING ${peer}`);
      expect(r.stdout).toMatch(/3 packets transmitted, 3 packets received, 0% packet loss/);
      expect(r.stdout).toContain('wasmvisor: exit status 0');
      expect(r.status).toBe(0);
    }
    expect(ra.stderr).toMatch(/n0: netdev socket: connection from 127\.0\.0\.1:\d+/);
  }, RUN_TIMEOUT_MS + 70_000);
});
