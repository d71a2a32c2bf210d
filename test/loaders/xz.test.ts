/**
 * The host XZ decoder (src/loaders/xz.ts) against streams the xz tool
 * writes at test time: every check type, multi-block and concatenated
 * streams, LZMA2's uncompressed chunks and long matches, odd literal and
 * position contexts, the x86 BCJ and Delta filters over real machine
 * code; malformed input throws an XzError naming the problem; and
 * Debian's kernel payload (skipped when npm run guest:linux has not run).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, crc64, decodeXz, isXz, XzError } from '../../src/loaders/xz.js';
import { LINUX_FLAVOURS, LINUX_GUEST_CACHE, readLinuxGuestManifest, vmlinuzName } from '../../guests/linux/paths.js';
import { parseSetupHeader } from '../../src/loaders/linux.js';

const hasXz = spawnSync('xz', ['--version']).status === 0;
if (!hasXz) console.warn('test/loaders/xz.test.ts: the xz command is missing (apt-get install xz-utils; scripts/setup.sh does it); its streams cannot be made');

/** Compress with the xz tool. */
function xz(data: Uint8Array, ...args: string[]): Uint8Array {
  const r = spawnSync('xz', ['-c', '-q', ...args], { input: data, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`xz ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

/** A reproducible byte stream that does not compress (xorshift32). */
function noise(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Text with structure: repeated words with variations, so matches of every length and distance occur. */
function text(size: number): Uint8Array {
  const words = ['wasmvisor', 'boots', 'Linux', 'with', 'the', 'host', 'unpacking', 'its', 'XZ', 'payload', '\n', 'kernel', 'page', 'table'];
  const r = noise(size, 7);
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const w = `${words[r[i % size]! % words.length]}${r[(i * 7) % size]! % 5 === 0 ? String(i % 1000) : ''} `;
    parts.push(w);
    n += w.length;
  }
  return new TextEncoder().encode(parts.join('')).subarray(0, size);
}

/** Real x86 code: the start of the node binary running this test (ELF x86-64 code; E8/E9 calls and jumps as in i386 code). */
const machineCode = (): Uint8Array => new Uint8Array(readFileSync(process.execPath).subarray(0, 3 << 20));

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

describe.skipIf(!hasXz)('decodeXz on streams made by the xz tool', () => {
  const cases: [string, () => Uint8Array, string[]][] = [
    ['empty input', () => new Uint8Array(0), []],
    ['one byte', () => new Uint8Array([0x41]), []],
    ['small text', () => text(1000), []],
    ['incompressible data (uncompressed LZMA2 chunks)', () => noise(300_000), []],
    ['highly repetitive data (long matches)', () => new Uint8Array(5_000_000).fill(0x5a), []],
    ['text at preset 9e', () => text(400_000), ['-9e']],
    ['text at preset 0', () => text(400_000), ['-0']],
    ['text with lc=0,lp=4,pb=0', () => text(200_000), ['--lzma2=lc=0,lp=4,pb=0']],
    ['text with lc=4,lp=0,pb=4', () => text(200_000), ['--lzma2=lc=4,lp=0,pb=4']],
    ['text with a 4 KiB dictionary', () => text(200_000), ['--lzma2=dict=4KiB']],
    ['multi-block, single-threaded', () => text(700_000), ['--block-size=65536']],
    ['multi-block with sizes in the block headers (threaded)', () => text(700_000), ['-T2', '--block-size=100000']],
    ['x86 BCJ over machine code', machineCode, ['--x86', '--lzma2']],
    ['x86 BCJ with a start offset', () => machineCode().subarray(0, 1 << 20), ['--x86=start=4096', '--lzma2']],
    ['x86 BCJ, multi-block', () => machineCode().subarray(0, 1 << 20), ['--x86', '--lzma2', '--block-size=300000']],
    ['Delta then LZMA2', () => text(100_000), ['--delta=dist=4', '--lzma2']],
    ['Delta, x86 BCJ and LZMA2', () => machineCode().subarray(0, 500_000), ['--delta=dist=2', '--x86', '--lzma2']],
  ];
  for (const [name, make, args] of cases) {
    it(`${name} (${args.join(' ') || 'defaults'})`, () => {
      const data = make();
      const r = decodeXz(xz(data, ...args));
      expect(r.output.length).toBe(data.length);
      expect(md5(r.output)).toBe(md5(data));
      expect(r.checkVerified).toBe(true);
    });
  }

  for (const check of ['none', 'crc32', 'crc64', 'sha256'] as const) {
    it(`check type ${check} is read and verified`, () => {
      const data = text(50_000);
      const r = decodeXz(xz(data, `--check=${check}`));
      expect(r.check).toBe(check);
      expect(r.checkVerified).toBe(true);
      expect(md5(r.output)).toBe(md5(data));
    });
  }

  it('reads concatenated streams with stream padding between and after them, and singleStream stops after the first', () => {
    const a = text(30_000);
    const b = noise(20_000, 3);
    const sa = xz(a, '--check=crc64');
    const sb = xz(b, '--check=crc32');
    const joined = new Uint8Array([...sa, 0, 0, 0, 0, ...sb, 0, 0, 0, 0, 0, 0, 0, 0]);
    const r = decodeXz(joined);
    expect(r).toMatchObject({ streams: 2, blocks: 2, end: joined.length });
    expect(md5(r.output)).toBe(md5(new Uint8Array([...a, ...b])));
    const first = decodeXz(new Uint8Array([...sa, 1, 2, 3, 4]), { singleStream: true });
    expect(first.end).toBe(sa.length);
    expect(md5(first.output)).toBe(md5(a));
    expect(() => decodeXz(new Uint8Array([...sa, 0, 0]))).toThrow(/stream padding .* not a multiple of 4/);
  });

  it('starts from a size hint and grows past a wrong one', () => {
    const data = text(300_000);
    const s = xz(data);
    expect(md5(decodeXz(s, { sizeHint: data.length }).output)).toBe(md5(data));
    expect(md5(decodeXz(s, { sizeHint: 10 }).output)).toBe(md5(data));
    expect(() => decodeXz(s, { maxOutput: 100_000 })).toThrow(/exceed 100000 bytes/);
  });

  it('knows its magic', () => {
    expect(isXz(xz(new Uint8Array(1)))).toBe(true);
    expect(isXz(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]))).toBe(false);
  });
});

describe('checksums', () => {
  it('CRC32 and CRC64 of "123456789" are the catalogued check values', () => {
    const digits = new TextEncoder().encode('123456789');
    expect(crc32(digits)).toBe(0xcbf43926);
    expect(Buffer.from(crc64(digits)).readBigUInt64LE()).toBe(0x995dc9bbdf1939fan);
    // The eight-byte loop and the byte loop agree at every length and alignment.
    const data = noise(100, 9);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= 40; end++) {
        let c = 0;
        for (let i = start; i < end; i++) c = crc32(data, i, i + 1, c);
        expect(crc32(data, start, end)).toBe(c);
      }
    }
  });
});

describe.skipIf(!hasXz)('decodeXz on malformed input', () => {
  const data = text(20_000);
  const good = xz(data, '--check=crc64');

  it('a truncated stream throws at every cut', () => {
    for (let cut = 0; cut < good.length; cut += Math.max(1, Math.floor(good.length / 97))) {
      expect(() => decodeXz(good.subarray(0, cut)), `cut at ${cut}`).toThrow(XzError);
    }
    expect(() => decodeXz(good.subarray(0, good.length - 1))).toThrow(/truncated in the stream footer/);
    expect(() => decodeXz(good.subarray(0, 30))).toThrow(/truncated/);
  });

  it('a bad magic, a bad header CRC, bad block and stream flags say so', () => {
    const bad = (at: number, xor: number): Uint8Array => {
      const b = good.slice();
      b[at]! ^= xor;
      return b;
    };
    expect(() => decodeXz(bad(1, 0xff))).toThrow(/no .xz stream header magic at offset 0/);
    expect(() => decodeXz(bad(7, 0x01))).toThrow(/stream header at offset 0 fails its CRC32/);
    expect(() => decodeXz(bad(13, 0x01))).toThrow(/block header at offset 12 fails its CRC32/);
    expect(() => decodeXz(bad(good.length - 1, 0x01))).toThrow(/no stream footer magic/);
    expect(() => decodeXz(bad(good.length - 8, 0x01))).toThrow(/stream footer at offset \d+ fails its CRC32/);
    expect(() => decodeXz(new Uint8Array(64))).toThrow(/no .xz stream header magic/);
  });

  it('a corrupt check or a corrupt index is caught', () => {
    // The block's CRC64 sits just before the index; the index ends 12 bytes before the end.
    const b = good.slice();
    const indexSize = (new DataView(b.buffer).getUint32(b.length - 8, true) + 1) * 4; // the footer's backward size
    const checkAt = b.length - 12 - indexSize - 8;
    b[checkAt]! ^= 1;
    expect(() => decodeXz(b)).toThrow(/the CRC64 of the block at offset 12 does not match its data/);
    const c = good.slice();
    c[c.length - 12 - indexSize + 2]! ^= 1;
    expect(() => decodeXz(c)).toThrow(XzError);
  });

  it('every single-byte corruption of a CRC64 stream throws an XzError (never a wrong output, a hang or another error)', () => {
    const small = xz(text(3000), '--check=crc64');
    for (let at = 0; at < small.length; at++) {
      for (const xor of [0x01, 0x80, 0xff]) {
        const b = small.slice();
        b[at]! ^= xor;
        let err: unknown = null;
        try {
          decodeXz(b);
        } catch (e) {
          err = e;
        }
        expect(err, `byte ${at} ^ ${xor}`).toBeInstanceOf(XzError);
      }
    }
  });

  it('refuses filters it does not implement, naming them', () => {
    const arm = xz(text(1000), '--arm', '--lzma2');
    expect(() => decodeXz(arm)).toThrow(/unsupported filter 0x7 \(ARM BCJ\)/);
  });
});

const manifest = readLinuxGuestManifest();
describe.skipIf(!manifest)('Debian kernel payloads (npm run guest:linux)', () => {
  for (const flavour of LINUX_FLAVOURS) {
    it(`${flavour}: the XZ payload unpacks to the size appended to it, as a 32-bit i386 ELF executable`, () => {
      const image = new Uint8Array(readFileSync(join(LINUX_GUEST_CACHE, vmlinuzName(flavour))));
      const h = parseSetupHeader(image);
      const payload = image.subarray(h.kernelOffset + h.payloadOffset, h.kernelOffset + h.payloadOffset + h.payloadLength);
      const size = new DataView(payload.buffer, payload.byteOffset + payload.length - 4).getUint32(0, true);
      const r = decodeXz(payload, { singleStream: true, sizeHint: size });
      expect(r).toMatchObject({ check: 'crc32', checkVerified: true, end: payload.length - 4 });
      expect(r.output.length).toBe(size);
      const elf = new DataView(r.output.buffer, r.output.byteOffset);
      expect([...r.output.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
      expect(r.output[4]).toBe(1); // ELFCLASS32
      expect(r.output[5]).toBe(1); // little-endian
      expect(elf.getUint16(16, true)).toBe(2); // ET_EXEC
      expect(elf.getUint16(18, true)).toBe(3); // EM_386
      expect(elf.getUint32(24, true)).toBe(0x1000000); // e_entry: startup_32 at LOAD_PHYSICAL_ADDR
    });
  }
});
