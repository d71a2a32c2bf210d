/**
 * The initramfs images `npm run guest:linux` builds: their contents, and a
 * boot of each in QEMU (when qemu-system-i386 is installed) running a
 * command through wasmvisor.cmd= with a virtio disk and NIC attached.
 * Skipped, with a message, when the cache has not been built.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readNewc } from '../../src/initramfs/cpio.js';
import { EXIT_STATUS_PREFIX, READY_BANNER, WASMVISOR_CMD_FUNCTION } from '../../guests/linux/initramfs.js';
import { readModinfo } from '../../guests/linux/modules.js';
import { initramfsName, LINUX_FLAVOURS, LINUX_GUEST_CACHE, readLinuxGuestManifest, vmlinuzName } from '../../guests/linux/paths.js';

const manifest = readLinuxGuestManifest();
if (!manifest) console.warn(`Debian initramfs tests are skipped: no ${LINUX_GUEST_CACHE}/manifest.json (run npm run guest:linux)`);
const HAS_QEMU = spawnSync('qemu-system-i386', ['--version'], { stdio: 'ignore' }).status === 0;
if (manifest && !HAS_QEMU) console.warn('booting the Debian guest in QEMU is skipped: apt-get install qemu-system-x86 to run it');

const work = mkdtempSync(join(tmpdir(), 'wasmvisor-debian-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cached = (name: string): Uint8Array => new Uint8Array(readFileSync(join(LINUX_GUEST_CACHE, name)));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(!manifest)('Debian initramfs from npm run guest:linux', () => {
  for (const flavour of LINUX_FLAVOURS) {
    it(`${flavour}: matches its manifest and holds /init, busybox, its links and the virtio modules for ${flavour}`, () => {
      const fl = manifest!.flavours[flavour];
      const gz = cached(initramfsName(flavour));
      expect(sha256(gz)).toBe(fl.initramfs.sha256);
      expect(sha256(cached(vmlinuzName(flavour)))).toBe(fl.vmlinuz.sha256);
      expect(spawnSync('gzip', ['-t', join(LINUX_GUEST_CACHE, initramfsName(flavour))]).status).toBe(0);
      const entries = readNewc(new Uint8Array(gunzipSync(gz)));
      const byName = new Map(entries.map((e) => [e.name, e] as const));
      const init = new TextDecoder().decode(byName.get('init')!.data);
      expect(byName.get('init')!.permissions).toBe(0o755);
      expect(byName.get('dev/console')).toMatchObject({ type: 'char-device', rdevMajor: 5, rdevMinor: 1 });
      expect(entries.filter((e) => e.type === 'symlink')).toHaveLength(manifest!.busybox.applets);
      expect(byName.get('bin/sh')?.type).toBe('symlink');
      const names = fl.modules.map((p) => p.replace(/^.*\//, '').replace(/\.ko$/, ''));
      for (const wanted of ['virtio', 'virtio_ring', 'virtio_pci', 'virtio_blk', 'virtio_net', 'net_failover', 'failover']) expect(names).toContain(wanted);
      let last = -1;
      for (const path of fl.modules) {
        const entry = byName.get(`lib/modules/${fl.release}/${path}`)!;
        // Modules are built for this kernel: vermagic starts with its release.
        expect(readModinfo(entry.data, path).get('vermagic')?.[0]?.startsWith(`${fl.release} `), path).toBe(true);
        // /init loads them in the manifest's (dependency) order.
        const at = init.indexOf(`/lib/modules/${fl.release}/${path} \\`);
        expect(at, path).toBeGreaterThan(last);
        last = at;
      }
    });
  }

  it('parses wasmvisor.cmd= with the guest\'s own busybox sh (when this host runs i386 binaries)', () => {
    const entries = readNewc(new Uint8Array(gunzipSync(cached(initramfsName('686')))));
    const bb = join(work, 'busybox');
    writeFileSync(bb, entries.find((e) => e.name === 'bin/busybox')!.data);
    chmodSync(bb, 0o755);
    const probe = spawnSync(bb, ['true']);
    if (probe.status !== 0) {
      console.warn('skipping the busybox sh check: this host cannot run the i386 busybox');
      return;
    }
    const r = spawnSync(bb, ['sh', '-c', `${WASMVISOR_CMD_FUNCTION}\nwasmvisor_cmd "$1"`, 'sh', 'console=ttyS0 wasmvisor.cmd="echo a b" x'], { encoding: 'utf8' });
    expect(r.stdout).toBe('echo a b\n');
  });

  it.skipIf(!HAS_QEMU)('boots in QEMU, loads the virtio drivers, runs wasmvisor.cmd and powers off', () => {
    const disk = join(work, 'disk.img');
    writeFileSync(disk, new Uint8Array(4 * 1024 * 1024));
    const r = spawnSync('qemu-system-i386', [
      '-accel', 'tcg', '-m', '256', '-nographic', '-no-reboot', '-monitor', 'none',
      '-kernel', join(LINUX_GUEST_CACHE, vmlinuzName('686')),
      '-initrd', join(LINUX_GUEST_CACHE, initramfsName('686')),
      '-append', 'console=ttyS0 quiet wasmvisor.cmd="cat /proc/modules; cat /sys/block/vda/size; ls -1 /sys/class/net; exit 7"',
      '-drive', `file=${disk},format=raw,if=virtio`,
      // A NIC on a network with no way out (restrict=on), so the guest sees a virtio-net device and nothing else.
      '-netdev', 'user,id=n0,restrict=on', '-device', 'virtio-net-pci,netdev=n0',
    ], { encoding: 'utf8', timeout: 180_000 });
    const out = r.stdout;
    expect(r.status, `${out}\n${r.stderr}`).toBe(0);
    expect(out).toContain(`${READY_BANNER}: Linux ${manifest!.flavours['686'].release} i686`);
    expect(out).toMatch(/^virtio_blk /m);
    expect(out).toMatch(/^virtio_net /m);
    expect(out).toMatch(/^8192\r?$/m); // 4 MiB in 512-byte sectors
    expect(out).toMatch(/^eth0\r?$/m);
    expect(out).toContain(`${EXIT_STATUS_PREFIX}7`);
  }, 200_000);
});
