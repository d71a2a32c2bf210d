import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readNewc } from '../../src/initramfs/cpio.js';
import { buildInitramfs, buildInitramfsArchive, initScript, READY_BANNER, WASMVISOR_CMD_FUNCTION } from '../../guests/linux/initramfs.js';
import { moduleName, readModinfo, selectVirtioModules, type SelectedModule } from '../../guests/linux/modules.js';

const work = mkdtempSync(join(tmpdir(), 'wasmvisor-guest-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HAS_XZ = spawnSync('xz', ['--version'], { stdio: 'ignore' }).status === 0;

/** Run the /init's option parser in the host's sh (dash on Debian: POSIX, as busybox ash is). */
function parseCmd(cmdline: string, shell = 'sh'): string {
  return execFileSync(shell, ['-c', `${WASMVISOR_CMD_FUNCTION}\nwasmvisor_cmd "$1"`, 'sh', cmdline], { encoding: 'utf8' }).replace(/\n$/, '');
}

describe('the wasmvisor.cmd= option', () => {
  it('reads quoted and bare values anywhere on the command line', () => {
    expect(parseCmd('console=ttyS0 wasmvisor.cmd="uname -a; cat /proc/cpuinfo" quiet')).toBe('uname -a; cat /proc/cpuinfo');
    expect(parseCmd('wasmvisor.cmd=ls')).toBe('ls');
    expect(parseCmd('console=ttyS0 wasmvisor.cmd=lsmod quiet')).toBe('lsmod');
    expect(parseCmd('wasmvisor.cmd="echo \'single quotes\' and $HOME"')).toBe('echo \'single quotes\' and $HOME');
  });

  it('ignores command lines without it, and options that only end with its name', () => {
    expect(parseCmd('console=ttyS0 quiet')).toBe('');
    expect(parseCmd('')).toBe('');
    expect(parseCmd('other.wasmvisor.cmd=reboot')).toBe('');
  });
});

function fakeModule(path: string): SelectedModule {
  return { name: moduleName(path), path, data: new TextEncoder().encode(`module ${path}`), depends: [] };
}

describe('the initramfs', () => {
  const input = {
    release: '6.1.0-99-686',
    modules: ['kernel/drivers/virtio/virtio.ko', 'kernel/drivers/virtio/virtio_ring.ko', 'kernel/drivers/block/virtio_blk.ko'].map(fakeModule),
    busybox: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]),
    applets: ['bin/sh', 'bin/mount', 'sbin/insmod', 'usr/bin/[', 'bin/busybox', 'usr/bin/setsid', 'bin/cttyhack'],
    description: 'test build',
  };

  it('holds /init, busybox and its links, the device nodes and the modules', () => {
    const entries = readNewc(buildInitramfsArchive(input));
    const byName = new Map(entries.map((e) => [e.name, e] as const));
    expect(byName.get('init')).toMatchObject({ type: 'file', permissions: 0o755 });
    expect(byName.get('dev/console')).toMatchObject({ type: 'char-device', rdevMajor: 5, rdevMinor: 1, permissions: 0o600 });
    expect(byName.get('dev/null')).toMatchObject({ type: 'char-device', rdevMajor: 1, rdevMinor: 3, permissions: 0o666 });
    expect(byName.get('bin/busybox')).toMatchObject({ type: 'file', permissions: 0o755, data: input.busybox });
    for (const a of ['bin/sh', 'bin/mount', 'sbin/insmod', 'usr/bin/[', 'usr/bin/setsid', 'bin/cttyhack']) {
      const link = byName.get(a)!;
      expect(link.type, a).toBe('symlink');
      expect(new TextDecoder().decode(link.data)).toBe('/bin/busybox');
    }
    for (const m of input.modules) expect(byName.get(`lib/modules/6.1.0-99-686/${m.path}`)?.data).toEqual(m.data);
    expect(byName.get('tmp')).toMatchObject({ type: 'directory', permissions: 0o1777 });
    for (const d of ['proc', 'sys', 'dev', 'root']) expect(byName.get(d)?.type, d).toBe('directory');
  });

  it('is gzip: the same archive after decompression', () => {
    expect(new Uint8Array(gunzipSync(buildInitramfs(input)))).toEqual(buildInitramfsArchive(input));
  });

  it('has an /init that loads the modules in the order given and is valid sh', () => {
    const script = initScript(input);
    const at = input.modules.map((m) => script.indexOf(`/lib/modules/6.1.0-99-686/${m.path} \\`));
    expect(at.every((x) => x > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain(`echo "${READY_BANNER}:`);
    expect(script).toContain('mount -t devtmpfs');
    expect(script).toContain('poweroff -f');
    const file = join(work, 'init');
    writeFileSync(file, script);
    const r = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

/** Assemble an object file whose .modinfo holds `info` (as a kernel module's does). */
function moduleObject(path: string, info: string[], bits: 32 | 64 = 32): void {
  const src = `${path}.s`;
  writeFileSync(src, `.section .modinfo,"a"\n${info.map((i) => `.asciz "${i}"\n.balign 4\n`).join('')}.text\nnop\n`);
  execFileSync('as', [bits === 32 ? '--32' : '--64', '-o', path, src]);
  rmSync(src);
}

describe('module selection', () => {
  it('reads .modinfo from ELF32 and ELF64 objects', () => {
    const o32 = join(work, 'm32.ko');
    const o64 = join(work, 'm64.ko');
    moduleObject(o32, ['license=GPL', 'depends=virtio,virtio_ring', 'name=virtio_blk']);
    moduleObject(o64, ['depends=', 'alias=virtio:d00000002v*', 'alias=second'], 64);
    const i32 = readModinfo(new Uint8Array(readFileSync(o32)));
    expect(i32.get('depends')).toEqual(['virtio,virtio_ring']);
    expect(i32.get('name')).toEqual(['virtio_blk']);
    const i64 = readModinfo(new Uint8Array(readFileSync(o64)));
    expect(i64.get('depends')).toEqual(['']);
    expect(i64.get('alias')).toEqual(['virtio:d00000002v*', 'second']);
    expect(() => readModinfo(new TextEncoder().encode('not an ELF file at all, just some text...........'))).toThrow(/not an ELF/);
  });

  /** A fake module tree: name -> depends, at the paths a Debian kernel package uses. */
  function tree(modules: Record<string, string>, compress: string[] = []): string {
    const dir = mkdtempSync(join(work, 'mods-'));
    for (const [path, depends] of Object.entries(modules)) {
      const file = join(dir, path);
      mkdirSync(join(file, '..'), { recursive: true });
      moduleObject(file, [`depends=${depends}`, `name=${moduleName(path)}`]);
      if (compress.includes(path)) execFileSync('xz', ['--check=crc32', file]); // leaves file.xz, as Debian's kernels ship them
    }
    return dir;
  }

  it.skipIf(!HAS_XZ)('takes the virtio drivers and their dependencies, each after what it needs, decompressed', () => {
    const dir = tree({
      'kernel/drivers/virtio/virtio.ko': '',
      'kernel/drivers/virtio/virtio_ring.ko': '',
      'kernel/drivers/virtio/virtio_pci_modern_dev.ko': '',
      'kernel/drivers/virtio/virtio_pci.ko': 'virtio_ring,virtio,virtio_pci_modern_dev',
      'kernel/drivers/block/virtio_blk.ko': 'virtio,virtio_ring',
      'kernel/drivers/net/virtio_net.ko': 'net_failover,virtio_ring,virtio',
      'kernel/drivers/net/net_failover.ko': 'failover',
      'kernel/net/core/failover.ko': '',
      'kernel/drivers/char/virtio_console.ko': 'virtio,virtio_ring',
      'kernel/drivers/scsi/unrelated.ko': '',
    }, ['kernel/drivers/block/virtio_blk.ko']);
    const selected = selectVirtioModules(dir);
    const names = selected.map((m) => m.name);
    expect(new Set(names)).toEqual(new Set(['virtio', 'virtio_ring', 'virtio_pci_modern_dev', 'virtio_pci', 'virtio_blk', 'virtio_net', 'net_failover', 'failover', 'virtio_console']));
    for (const m of selected) for (const d of m.depends) expect(names.indexOf(d), `${d} before ${m.name}`).toBeLessThan(names.indexOf(m.name));
    const blk = selected.find((m) => m.name === 'virtio_blk')!;
    expect(blk.path).toBe('kernel/drivers/block/virtio_blk.ko');
    expect([...blk.data.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(selectVirtioModules(dir).map((m) => m.path)).toEqual(selected.map((m) => m.path)); // the same order every run
  });

  it('follows modules.dep when the package has one', () => {
    const dir = tree({ 'kernel/drivers/virtio/virtio_a.ko': '', 'kernel/drivers/virtio/virtio_b.ko': '', 'kernel/lib/helper.ko': '' });
    writeFileSync(join(dir, 'modules.dep'), 'kernel/drivers/virtio/virtio_a.ko: kernel/lib/helper.ko\nkernel/lib/helper.ko:\nkernel/drivers/virtio/virtio_b.ko:\n');
    expect(selectVirtioModules(dir).map((m) => m.name)).toEqual(['helper', 'virtio_a', 'virtio_b']);
  });

  it('reports dependencies it cannot satisfy and cycles', () => {
    expect(() => selectVirtioModules(tree({ 'kernel/drivers/virtio/virtio.ko': 'missing_mod' }))).toThrow(/depends on missing_mod, which is not a module file/);
    expect(() => selectVirtioModules(tree({ 'kernel/drivers/virtio/virtio_a.ko': 'virtio_b', 'kernel/drivers/virtio/virtio_b.ko': 'virtio_a' }))).toThrow(/cycle/);
    expect(() => selectVirtioModules(tree({ 'kernel/drivers/scsi/other.ko': '' }))).toThrow(/no virtio modules/);
  });
});
