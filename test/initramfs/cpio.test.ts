import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { NewcArchive, normalizeCpioPath, readNewc, writeNewc, type CpioEntry } from '../../src/initramfs/cpio.js';

const hasTool = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const HAS_CPIO = hasTool('cpio');
const HAS_GZIP = hasTool('gzip');
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
if (!HAS_CPIO) console.warn('cpio tests against GNU cpio are skipped: install cpio (scripts/setup.sh does)');

const work = mkdtempSync(join(tmpdir(), 'wasmvisor-cpio-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An archive with every entry type, and file and name lengths that hit each padding case. */
function sample(): NewcArchive {
  const a = new NewcArchive(1_700_000_000);
  a.directory('etc');
  a.file('etc/empty', '');
  a.file('etc/one', 'x');
  a.file('etc/three', 'abc');
  a.file('etc/four', 'abcd');
  a.file('etc/five', 'abcde', { permissions: 0o600 });
  a.file('usr/local/lib/deep', new Uint8Array([0, 1, 2, 0xff])); // parents created on demand
  a.file('bin/tool', '#!/bin/sh\necho hi\n', { permissions: 0o4755, uid: 1000, gid: 100 });
  a.symlink('bin/sh', '/bin/tool');
  a.symlink('ab', 'etc/three');
  a.characterDevice('dev/console', 5, 1);
  a.characterDevice('dev/null', 1, 3, { permissions: 0o666 });
  a.blockDevice('dev/vda', 254, 0, { permissions: 0o660 });
  a.directory('tmp', { permissions: 0o1777 });
  return a;
}

function run(cmd: string, args: string[], input?: Uint8Array, cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, cwd, encoding: 'latin1' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('newc writer', () => {
  it('writes the format byte for byte (hand-checked header, name and data padding, trailer)', () => {
    const bytes = new NewcArchive().file('a', 'hi').toBytes();
    const text = new TextDecoder('latin1').decode(bytes);
    const header1 =
      '070701' + '00000001' + '000081a4' + '00000000' + '00000000' + '00000001' + '00000000' + '00000002' +
      '00000000' + '00000000' + '00000000' + '00000000' + '00000002' + '00000000';
    expect(header1.length).toBe(110);
    // 110 + "a\0" = 112: already aligned; "hi" is padded to 4.
    expect(text.slice(0, 110)).toBe(header1);
    expect(text.slice(110, 112)).toBe('a\0');
    expect(text.slice(112, 116)).toBe('hi\0\0');
    const trailer =
      '070701' + '00000000' + '00000000' + '00000000' + '00000000' + '00000001' + '00000000' + '00000000' +
      '00000000' + '00000000' + '00000000' + '00000000' + '0000000b' + '00000000';
    expect(text.slice(116, 226)).toBe(trailer);
    // "TRAILER!!!\0" is 11 bytes: 110 + 11 = 121, padded to 124.
    expect(text.slice(226)).toBe('TRAILER!!!\0\0\0\0');
    expect(bytes.length).toBe(240);
  });

  it('puts each directory before what it holds, with distinct inode numbers', () => {
    const names = sample().list().map((e) => e.name);
    expect(names.slice(0, 6)).toEqual(['etc', 'etc/empty', 'etc/one', 'etc/three', 'etc/four', 'etc/five']);
    expect(names.indexOf('usr')).toBeLessThan(names.indexOf('usr/local'));
    expect(names.indexOf('usr/local/lib')).toBeLessThan(names.indexOf('usr/local/lib/deep'));
    expect(names.indexOf('bin')).toBeLessThan(names.indexOf('bin/tool'));
    const inos = sample().list().map((e) => e.ino);
    expect(new Set(inos).size).toBe(inos.length);
  });

  it('reads back what it wrote', () => {
    const entries = sample().list();
    const back = readNewc(sample().toBytes());
    expect(back.map(strip)).toEqual(entries.map(strip));
  });

  it('rejects duplicate, escaping and malformed names, and data on a device', () => {
    const a = new NewcArchive().file('x', '1');
    expect(() => a.file('/x', '2')).toThrow(/already in the archive/);
    expect(() => a.directory('x')).toThrow(/not a directory/);
    expect(() => a.file('a/../b', '')).toThrow(/'\.\.' component/);
    expect(() => a.file('/', '')).toThrow(/empty path/);
    expect(() => a.file('p', '', { permissions: 0o10000 })).toThrow(/outside 07777/);
    expect(normalizeCpioPath('//usr//bin/')).toBe('usr/bin');
    const bad: CpioEntry = { ...sample().list()[0]!, type: 'char-device', data: new Uint8Array(1) };
    expect(() => writeNewc([bad])).toThrow(/cannot carry data/);
    expect(() => readNewc(new Uint8Array(8))).toThrow(/without a trailer/);
    const corrupt = sample().toBytes();
    corrupt[0] = 0x39;
    expect(() => readNewc(corrupt)).toThrow(/bad magic/);
  });

  it.skipIf(!HAS_CPIO)('lists as GNU cpio reads it: names, types, modes, numeric owners, device numbers, link targets', () => {
    const r = run('cpio', ['-itvn', '--quiet'], sample().toBytes());
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(sample().list().length);
    const line = (name: string): string => lines.find((l) => l.includes(` ${name}`) && (l.endsWith(` ${name}`) || l.includes(` ${name} -> `)))!;
    expect(line('etc/five')).toMatch(/^-rw------- +1 /);
    expect(line('bin/tool')).toMatch(/^-rwsr-xr-x +1 1000 +100 +18 /);
    expect(line('bin/sh')).toMatch(/^lrwxrwxrwx .* bin\/sh -> \/bin\/tool$/);
    expect(line('dev/console')).toMatch(/^crw------- +1 0 +0 +5, +1 /);
    expect(line('dev/null')).toMatch(/^crw-rw-rw- +1 0 +0 +1, +3 /);
    expect(line('dev/vda')).toMatch(/^brw-rw---- +1 0 +0 +254, +0 /);
    expect(line('tmp')).toMatch(/^drwxrwxrwt /);
  });

  it.skipIf(!HAS_CPIO)('extracts with GNU cpio to the same files', () => {
    const dir = mkdtempSync(join(work, 'x-'));
    const r = run('cpio', ['-idm', '--quiet', '--no-absolute-filenames'], sample().toBytes(), dir);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'etc/five'), 'latin1')).toBe('abcde');
    expect(readFileSync(join(dir, 'etc/empty')).length).toBe(0);
    expect([...readFileSync(join(dir, 'usr/local/lib/deep'))]).toEqual([0, 1, 2, 0xff]);
    expect(readlinkSync(join(dir, 'bin/sh'))).toBe('/bin/tool');
    expect(readlinkSync(join(dir, 'ab'))).toBe('etc/three');
    expect(statSync(join(dir, 'etc/five')).mode & 0o7777).toBe(0o600);
    expect(statSync(join(dir, 'etc/five')).mtimeMs).toBe(1_700_000_000_000);
    if (IS_ROOT) {
      // Only root may create device nodes (and keep owners).
      const console = lstatSync(join(dir, 'dev/console'));
      expect(console.isCharacterDevice()).toBe(true);
      expect([Math.floor(console.rdev / 256) & 0xfff, console.rdev & 0xff]).toEqual([5, 1]);
      const vda = lstatSync(join(dir, 'dev/vda'));
      expect(vda.isBlockDevice()).toBe(true);
      expect(Math.floor(vda.rdev / 256) & 0xfff).toBe(254);
      expect(statSync(join(dir, 'bin/tool')).uid).toBe(1000);
    }
  });

  it.skipIf(!HAS_CPIO || !HAS_GZIP)('survives gzip: gzip -t accepts it and zcat | cpio -t lists it', () => {
    const gz = join(work, 'sample.cpio.gz');
    writeFileSync(gz, gzipSync(sample().toBytes(), { level: 9 }));
    expect(run('gzip', ['-t', gz]).status).toBe(0);
    const r = spawnSync('sh', ['-c', `zcat '${gz}' | cpio -t --quiet`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(sample().list().map((e) => e.name));
  });

  it.skipIf(!HAS_CPIO)('reads what GNU cpio writes in newc format', () => {
    const src = mkdtempSync(join(work, 'src-'));
    writeFileSync(join(src, 'hello.txt'), 'hello, world\n');
    const r = spawnSync('sh', ['-c', 'printf "hello.txt\\n" | cpio -o -H newc --quiet'], { cwd: src });
    expect(r.status).toBe(0);
    const entries = readNewc(new Uint8Array(r.stdout));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ name: 'hello.txt', type: 'file' });
    expect(new TextDecoder().decode(entries[0]!.data)).toBe('hello, world\n');
  });
});

/** An entry with its data as a plain array, so a mismatch prints readably. */
function strip(e: CpioEntry): Omit<CpioEntry, 'data'> & { data: number[] } {
  return { ...e, data: [...e.data] };
}
