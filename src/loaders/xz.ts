/**
 * An XZ decoder (the .xz file format 1.1.0 of the Tukaani project, with
 * LZMA2 and the LZMA range-coded format as the LZMA SDK describes them),
 * written for one job: unpacking a bzImage's payload on the host so the
 * guest need not run its own decompressor (src/loaders/linux.ts). It is
 * a single-call decoder: the whole input is in memory and the output is
 * one growing buffer that is also the LZMA dictionary, so a match is a
 * copy inside the output and nothing is ever allocated per byte.
 *
 * What it reads: concatenated streams with stream padding; blocks with
 * any of the filters Linux and the xz tool use on x86 (LZMA2, the x86
 * BCJ filter with its optional start offset, Delta); the index, checked
 * against the blocks; the integrity checks CRC32 and CRC64 (verified),
 * SHA-256 (verified through node:crypto where it exists, and reported as
 * unverified elsewhere, e.g. in a browser), and the reserved check ids
 * (skipped, reported as unverified, as the format allows).
 *
 * Departures: no multi-call (streaming) mode; the other BCJ filters
 * (PowerPC, IA-64, ARM, ARM-Thumb, SPARC, ARM64) are refused with an
 * error naming them. Every malformed input throws an XzError saying
 * what is wrong and where; loops are bounded by the sizes the chunks
 * declare, and every write is inside the output buffer.
 */
import { createHash } from 'node:crypto';

/** A malformed or unsupported .xz input. */
export class XzError extends Error {
  override readonly name = 'XzError';
}

/** The stream header's magic bytes: 0xFD '7zXZ' 0x00. */
export const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] as const;
const FOOTER_MAGIC = [0x59, 0x5a] as const; // 'YZ'
const STREAM_HEADER_SIZE = 12;

export type XzCheckName = 'none' | 'crc32' | 'crc64' | 'sha256' | 'reserved';

/** Check ids (stream flags, low nibble of the second byte) and their sizes: ids 1-3 are 4 bytes, 4-6 8, 7-9 16, 10-12 32, 13-15 64. */
const CHECK_NONE = 0x0;
const CHECK_CRC32 = 0x1;
const CHECK_CRC64 = 0x4;
const CHECK_SHA256 = 0xa;
const checkSize = (id: number): number => (id === 0 ? 0 : 4 << Math.floor((id - 1) / 3));
const checkName = (id: number): XzCheckName =>
  id === CHECK_NONE ? 'none' : id === CHECK_CRC32 ? 'crc32' : id === CHECK_CRC64 ? 'crc64' : id === CHECK_SHA256 ? 'sha256' : 'reserved';

const FILTER_DELTA = 0x03;
const FILTER_X86 = 0x04;
const FILTER_LZMA2 = 0x21;
const OTHER_BCJ: Record<number, string> = { 0x05: 'PowerPC BCJ', 0x06: 'IA-64 BCJ', 0x07: 'ARM BCJ', 0x08: 'ARM-Thumb BCJ', 0x09: 'SPARC BCJ', 0x0a: 'ARM64 BCJ' };

export interface XzOptions {
  /** The expected output size (e.g. the size Linux appends to its payload): the buffer starts that big. */
  sizeHint?: number;
  /** Refuse to produce more than this many bytes (default 1 GiB). */
  maxOutput?: number;
  /** Decode the first stream only and ignore what follows it (default: every stream to the end of the input). */
  singleStream?: boolean;
}

export interface XzResult {
  output: Uint8Array;
  /** The check type of the (last) stream. */
  check: XzCheckName;
  /** False when a block's check could not be verified (SHA-256 without node:crypto, a reserved check id); 'none' counts as verified. */
  checkVerified: boolean;
  streams: number;
  blocks: number;
  /** Input bytes consumed (the whole input unless singleStream). */
  end: number;
}

/** True when `bytes` begin with the .xz stream header magic. */
export function isXz(bytes: Uint8Array): boolean {
  return bytes.length >= XZ_MAGIC.length && XZ_MAGIC.every((b, i) => bytes[i] === b);
}

// ---------------------------------------------------------------- checks

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), eight tables so the loop takes eight bytes a turn. */
const CRC32_TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
})();

/** The CRC-32 of data[start, end), continuing from `crc` (0 to start). */
export function crc32(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  const t = CRC32_TABLES;
  let c = ~crc;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    const hi = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    c = t[0x700 + (lo & 0xff)]! ^ t[0x600 + ((lo >>> 8) & 0xff)]! ^ t[0x500 + ((lo >>> 16) & 0xff)]! ^ t[0x400 + (lo >>> 24)]! ^
      t[0x300 + (hi & 0xff)]! ^ t[0x200 + ((hi >>> 8) & 0xff)]! ^ t[0x100 + ((hi >>> 16) & 0xff)]! ^ t[hi >>> 24]!;
  }
  for (; i < end; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-64 (ECMA-182, reflected polynomial 0xC96C5795D7870F42) as two 32-bit halves. */
const CRC64_TABLES = (() => {
  const lo = new Int32Array(256);
  const hi = new Int32Array(256);
  const polyLo = 0xd7870f42 | 0;
  const polyHi = 0xc96c5795 | 0;
  for (let n = 0; n < 256; n++) {
    let l = n;
    let h = 0;
    for (let k = 0; k < 8; k++) {
      const odd = l & 1;
      l = (l >>> 1) | (h << 31);
      h >>>= 1;
      if (odd) {
        l ^= polyLo;
        h ^= polyHi;
      }
    }
    lo[n] = l;
    hi[n] = h;
  }
  return { lo, hi };
})();

/** The CRC-64 of data[start, end) as 8 little-endian bytes (how .xz stores it). */
export function crc64(data: Uint8Array, start = 0, end = data.length): Uint8Array {
  const { lo: tl, hi: th } = CRC64_TABLES;
  let l = -1;
  let h = -1;
  for (let i = start; i < end; i++) {
    const x = (l ^ data[i]!) & 0xff;
    l = tl[x]! ^ ((l >>> 8) | (h << 24));
    h = th[x]! ^ (h >>> 8);
  }
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint32(0, ~l >>> 0, true);
  v.setUint32(4, ~h >>> 0, true);
  return out;
}

/** SHA-256 through node:crypto; null where that does not exist (a browser, where node: modules are stubs that throw). */
function sha256(data: Uint8Array): Uint8Array | null {
  try {
    return new Uint8Array(createHash('sha256').update(data).digest());
  } catch {
    return null;
  }
}

const le32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const hex = (v: number): string => `0x${v.toString(16)}`;

// ---------------------------------------------------------------- LZMA / LZMA2

/** Probability slots, one Uint16Array; offsets as in the LZMA SDK's description (12 states, up to 16 position states). */
const STATES = 12;
const IS_MATCH = 0; // [state][posState]
const IS_REP = IS_MATCH + (STATES << 4);
const IS_REP_G0 = IS_REP + STATES;
const IS_REP_G1 = IS_REP_G0 + STATES;
const IS_REP_G2 = IS_REP_G1 + STATES;
const IS_REP0_LONG = IS_REP_G2 + STATES; // [state][posState]
const POS_SLOT = IS_REP0_LONG + (STATES << 4); // [4 length states][64]
const SPEC_POS = POS_SLOT + (4 << 6); // distances of slots 4..13: 1 + 128 - 14 slots
const ALIGN = SPEC_POS + 115; // the 4 low bits of long distances
/** A length coder: choice, choice2, low [16][8], mid [16][8], high [256]. */
const LEN_CHOICE = 0;
const LEN_CHOICE2 = 1;
const LEN_LOW = 2;
const LEN_MID = LEN_LOW + (16 << 3);
const LEN_HIGH = LEN_MID + (16 << 3);
const LEN_SIZE = LEN_HIGH + 256;
const MATCH_LEN = ALIGN + 16;
const REP_LEN = MATCH_LEN + LEN_SIZE;
const LITERAL = REP_LEN + LEN_SIZE; // 0x300 per literal state, lc + lp <= 4 in LZMA2
const PROBS_SIZE = LITERAL + (0x300 << 4);
const PROB_INIT = 1024; // half of 2^11
/**
 * The range decoder reads a byte when its range falls below 2^24. Its
 * registers are kept as int32 bit patterns (V8 keeps those in machine
 * registers; uint32 values above 2^31 would be doubles), so unsigned
 * comparisons flip the sign bit of both sides.
 */
const SIGN = 0x80000000 | 0;
const TOP_SIGNED = 0x1000000 ^ SIGN;
const END_POS_MODEL = 14;
const MATCH_MIN_LEN = 2;

/** Where decoding writes: one buffer that grows (by whole chunks, never per byte) and is the dictionary. */
class Output {
  buf: Uint8Array;
  pos = 0;

  constructor(initial: number, private readonly max: number) {
    this.buf = new Uint8Array(Math.min(Math.max(initial, 4096), max));
  }

  /** Make room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (need > this.max) throw new XzError(`xz: the output would exceed ${this.max} bytes (the limit given to the decoder)`);
    const grown = new Uint8Array(Math.min(Math.max(need, this.buf.length * 2), this.max));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  /** The bytes written, without a copy unless the buffer is much larger. */
  result(): Uint8Array {
    return this.buf.length - this.pos > this.pos / 4 + 65536 ? this.buf.slice(0, this.pos) : this.buf.subarray(0, this.pos);
  }
}

/**
 * LZMA2 over LZMA: chunk parsing, the range decoder and the LZMA symbol
 * decoder. The range decoder normalises before each bit (as liblzma
 * does); normalised once more after a chunk's last symbol, it has
 * consumed the chunk's input exactly and its code register is zero,
 * which is how a well-formed chunk ends.
 */
class Lzma2Decoder {
  private readonly probs = new Uint16Array(PROBS_SIZE);
  private input: Uint8Array = new Uint8Array(0);
  private inPos = 0;
  private range = 0;
  private code = 0;
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  private lc = 0;
  private lp = 0;
  private pb = 0;
  /** Output position of the last dictionary reset: nothing before it can be referenced. */
  private dictStart = 0;

  constructor(private readonly out: Output, private readonly dictSize: number) {}

  /** Decode the LZMA2 data at input[start...] up to its end marker; returns the input position after it. */
  decode(input: Uint8Array, start: number, limit: number): number {
    this.input = input;
    let p = start;
    let needDictReset = true;
    let needProps = true;
    const need = (n: number, what: string): void => {
      if (p + n > limit) throw new XzError(`xz: LZMA2 data truncated in ${what} at offset ${p}`);
    };
    for (;;) {
      need(1, 'a chunk header');
      const control = input[p++]!;
      if (control === 0x00) return p;
      if (control === 0x01 || control >= 0xe0) {
        // A dictionary reset; the next LZMA chunk must then bring properties.
        this.dictStart = this.out.pos;
        needDictReset = false;
        needProps = true;
      } else if (needDictReset) {
        throw new XzError(`xz: LZMA2 data at offset ${p - 1} does not start with a dictionary reset (control byte ${hex(control)})`);
      }
      if (control < 0x80) {
        if (control > 0x02) throw new XzError(`xz: invalid LZMA2 control byte ${hex(control)} at offset ${p - 1}`);
        need(2, 'an uncompressed chunk header');
        const size = ((input[p]! << 8) | input[p + 1]!) + 1;
        p += 2;
        need(size, 'an uncompressed chunk');
        this.out.reserve(size);
        this.out.buf.set(input.subarray(p, p + size), this.out.pos);
        this.out.pos += size;
        p += size;
        continue;
      }
      need(4, 'an LZMA chunk header');
      const unpacked = (((control & 0x1f) << 16) | (input[p]! << 8) | input[p + 1]!) + 1;
      const packed = ((input[p + 2]! << 8) | input[p + 3]!) + 1;
      p += 4;
      const reset = (control >>> 5) & 3;
      if (reset >= 2) {
        need(1, 'LZMA properties');
        this.setProperties(input[p++]!, p - 1);
        needProps = false;
      } else if (needProps) {
        throw new XzError(`xz: LZMA2 chunk at offset ${p - 5} continues without the properties a dictionary reset requires`);
      }
      if (reset >= 1) this.resetState();
      need(packed, 'an LZMA chunk');
      if (packed < 5) throw new XzError(`xz: LZMA chunk at offset ${p} is ${packed} bytes, too short for the range decoder's start`);
      if (input[p] !== 0) throw new XzError(`xz: LZMA chunk at offset ${p} does not start with a zero byte`);
      this.code = (input[p + 1]! << 24) | (input[p + 2]! << 16) | (input[p + 3]! << 8) | input[p + 4]!;
      this.range = -1;
      this.inPos = p + 5;
      this.out.reserve(unpacked);
      this.decodeSymbols(this.out.pos + unpacked);
      // A final normalisation: the encoder's flush leaves the range
      // decoder one byte to take after the chunk's last bit.
      if ((this.range ^ SIGN) < TOP_SIGNED) {
        this.range <<= 8;
        this.code = (this.code << 8) | (input[this.inPos++] ?? 0);
      }
      if (this.inPos !== p + packed || this.code !== 0) {
        throw new XzError(`xz: LZMA chunk at offset ${p} is corrupt (it should use ${packed} bytes and used ${this.inPos - p})`);
      }
      p += packed;
    }
  }

  private setProperties(props: number, at: number): void {
    if (props >= 9 * 5 * 5) throw new XzError(`xz: invalid LZMA properties byte ${hex(props)} at offset ${at}`);
    this.lc = props % 9;
    this.lp = Math.floor(props / 9) % 5;
    this.pb = Math.floor(props / 45);
    if (this.lc + this.lp > 4) throw new XzError(`xz: LZMA2 properties at offset ${at} have lc + lp = ${this.lc + this.lp}, more than 4`);
  }

  private resetState(): void {
    this.probs.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
  }

  /**
   * Decode symbols until the output reaches `end` (the chunk's unpacked
   * end). The hot loop of the decoder: the range decoder's registers, the
   * input position and the LZMA state live in locals, and each bit is
   * decoded in line (normalise; bound = (range >>> 11) * p; below the
   * bound a 0 and p moves up by 1/32 of its distance to 2^11, else a 1
   * and p moves down), so nothing is called per bit.
   */
  private decodeSymbols(end: number): void {
    const out = this.out.buf;
    const input = this.input;
    const probs = this.probs;
    const dictStart = this.dictStart;
    const dictSize = this.dictSize;
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    const lc = this.lc;
    let range = this.range;
    let code = this.code;
    let inPos = this.inPos;
    let pos = this.out.pos;
    let state = this.state;
    let rep0 = this.rep0;
    let rep1 = this.rep1;
    let rep2 = this.rep2;
    let rep3 = this.rep3;
    // Bit results and tree indices in flight.
    let i = 0;
    let p = 0;
    let bound = 0;
    let m = 0;
    while (pos < end) {
      const rel = pos - dictStart;
      const posState = rel & pbMask;

      // is-match bit
      if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
      i = IS_MATCH + (state << 4) + posState;
      p = probs[i]!;
      bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound;
        probs[i] = p + ((2048 - p) >>> 5);
        // A literal: eight bits from the tree its context selects.
        const prev = rel > 0 ? out[pos - 1]! : 0;
        const base = LITERAL + 0x300 * (((rel & lpMask) << lc) + (prev >>> (8 - lc)));
        m = 1;
        if (state >= 7) {
          // After a match, the byte at rep0 steers the bits until one differs.
          let matchByte = out[pos - rep0 - 1]!;
          do {
            const matchBit = (matchByte >>> 7) & 1;
            matchByte <<= 1;
            i = base + ((1 + matchBit) << 8) + m;
            if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
            p = probs[i]!;
            bound = Math.imul(range >>> 11, p);
            if ((code ^ SIGN) < (bound ^ SIGN)) {
              range = bound;
              probs[i] = p + ((2048 - p) >>> 5);
              m <<= 1;
              if (matchBit !== 0) break;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              probs[i] = p - (p >>> 5);
              m = (m << 1) | 1;
              if (matchBit === 0) break;
            }
          } while (m < 0x100);
        }
        while (m < 0x100) {
          i = base + m;
          if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
          p = probs[i]!;
          bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) { range = bound; probs[i] = p + ((2048 - p) >>> 5); m <<= 1; }
          else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5); m = (m << 1) | 1; }
        }
        out[pos++] = m;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      range = (range - bound) | 0;
      code = (code - bound) | 0;
      probs[i] = p - (p >>> 5);

      // is-rep bit: a new distance, or one of the four last ones.
      let lenCoder: number;
      if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
      i = IS_REP + state;
      p = probs[i]!;
      bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound;
        probs[i] = p + ((2048 - p) >>> 5);
        state = state < 7 ? 7 : 10;
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        lenCoder = MATCH_LEN;
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        probs[i] = p - (p >>> 5);
        if (rel === 0) throw new XzError(`xz: an LZMA repeated match with an empty dictionary (output offset ${pos})`);
        // is-rep0 bit
        if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
        i = IS_REP_G0 + state;
        p = probs[i]!;
        bound = Math.imul(range >>> 11, p);
        if ((code ^ SIGN) < (bound ^ SIGN)) {
          range = bound;
          probs[i] = p + ((2048 - p) >>> 5);
          // is-rep0-long bit: 0 is a one-byte match at rep0.
          if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
          i = IS_REP0_LONG + (state << 4) + posState;
          p = probs[i]!;
          bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) {
            range = bound;
            probs[i] = p + ((2048 - p) >>> 5);
            if (rep0 >= rel) throw new XzError(`xz: an LZMA match reaches ${rep0 + 1} bytes back with ${rel} in the dictionary (output offset ${pos})`);
            state = state < 7 ? 9 : 11;
            out[pos] = out[pos - rep0 - 1]!;
            pos++;
            continue;
          }
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          probs[i] = p - (p >>> 5);
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          probs[i] = p - (p >>> 5);
          let dist: number;
          // is-rep1 bit, then is-rep2 bit
          if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
          i = IS_REP_G1 + state;
          p = probs[i]!;
          bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) {
            range = bound;
            probs[i] = p + ((2048 - p) >>> 5);
            dist = rep1;
          } else {
            range = (range - bound) | 0;
            code = (code - bound) | 0;
            probs[i] = p - (p >>> 5);
            if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
            i = IS_REP_G2 + state;
            p = probs[i]!;
            bound = Math.imul(range >>> 11, p);
            if ((code ^ SIGN) < (bound ^ SIGN)) {
              range = bound;
              probs[i] = p + ((2048 - p) >>> 5);
              dist = rep2;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              probs[i] = p - (p >>> 5);
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        state = state < 7 ? 8 : 11;
        lenCoder = REP_LEN;
      }

      // The length: a choice bit, maybe a second one, then a 3- or 8-bit tree.
      let treeBase: number;
      let treeEnd: number;
      let len: number;
      if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
      i = lenCoder + LEN_CHOICE;
      p = probs[i]!;
      bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound;
        probs[i] = p + ((2048 - p) >>> 5);
        treeBase = lenCoder + LEN_LOW + (posState << 3);
        treeEnd = 8;
        len = 0;
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        probs[i] = p - (p >>> 5);
        if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
        i = lenCoder + LEN_CHOICE2;
        p = probs[i]!;
        bound = Math.imul(range >>> 11, p);
        if ((code ^ SIGN) < (bound ^ SIGN)) {
          range = bound;
          probs[i] = p + ((2048 - p) >>> 5);
          treeBase = lenCoder + LEN_MID + (posState << 3);
          treeEnd = 8;
          len = 8;
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          probs[i] = p - (p >>> 5);
          treeBase = lenCoder + LEN_HIGH;
          treeEnd = 256;
          len = 16;
        }
      }
      m = 1;
      while (m < treeEnd) {
        i = treeBase + m;
        if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
        p = probs[i]!;
        bound = Math.imul(range >>> 11, p);
        if ((code ^ SIGN) < (bound ^ SIGN)) { range = bound; probs[i] = p + ((2048 - p) >>> 5); m <<= 1; }
        else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5); m = (m << 1) | 1; }
      }
      len += m - treeEnd; // 0 ... 271: the match length minus 2

      if (lenCoder === MATCH_LEN) {
        // The distance: a 6-bit slot (per length state), then its low bits.
        treeBase = POS_SLOT + ((len < 3 ? len : 3) << 6);
        m = 1;
        while (m < 64) {
          i = treeBase + m;
          if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
          p = probs[i]!;
          bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) { range = bound; probs[i] = p + ((2048 - p) >>> 5); m <<= 1; }
          else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5); m = (m << 1) | 1; }
        }
        const slot = m - 64;
        if (slot < 4) {
          rep0 = slot;
        } else {
          const direct = (slot >>> 1) - 1;
          let dist = ((2 | (slot & 1)) << direct) >>> 0; // up to 3 << 30: read as unsigned
          let reverseBase: number;
          let reverseBits: number;
          if (slot < END_POS_MODEL) {
            reverseBase = SPEC_POS + dist - slot;
            reverseBits = direct;
          } else {
            // The middle bits at probability one half, the low four from the align tree.
            let v = 0;
            for (let k = direct - 4; k > 0; k--) {
              if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
              range >>>= 1;
              if ((code ^ SIGN) >= (range ^ SIGN)) { code = (code - range) | 0; v = (v << 1) | 1; } else { v <<= 1; }
            }
            dist += v * 16;
            reverseBase = ALIGN;
            reverseBits = 4;
          }
          m = 1;
          for (let k = 0; k < reverseBits; k++) {
            i = reverseBase + m;
            if ((range ^ SIGN) < TOP_SIGNED) { range <<= 8; code = (code << 8) | input[inPos++]!; }
            p = probs[i]!;
            bound = Math.imul(range >>> 11, p);
            if ((code ^ SIGN) < (bound ^ SIGN)) { range = bound; probs[i] = p + ((2048 - p) >>> 5); m <<= 1; }
            else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5); m = (m << 1) | 1; dist += 1 << k; }
          }
          rep0 = dist;
          if (rep0 === 0xffffffff) throw new XzError(`xz: an LZMA end marker inside LZMA2 data (output offset ${pos})`);
        }
      }

      if (rep0 >= rel || rep0 >= dictSize) {
        throw new XzError(`xz: an LZMA match reaches ${rep0 + 1} bytes back with ${Math.min(rel, dictSize)} in the dictionary (output offset ${pos})`);
      }
      len += MATCH_MIN_LEN;
      if (len > end - pos) throw new XzError(`xz: an LZMA match runs ${len - (end - pos)} bytes past the end of its LZMA2 chunk (output offset ${pos})`);
      let from = pos - rep0 - 1;
      if (rep0 === 0) {
        out.fill(out[from]!, pos, pos + len);
        pos += len;
      } else if (rep0 + 1 >= len && len > 16) {
        out.copyWithin(pos, from, from + len);
        pos += len;
      } else {
        const stop = pos + len;
        while (pos < stop) out[pos++] = out[from++]!;
      }
    }
    this.range = range;
    this.code = code;
    this.inPos = inPos;
    this.out.pos = pos;
    this.state = state;
    this.rep0 = rep0;
    this.rep1 = rep1;
    this.rep2 = rep2;
    this.rep3 = rep3;
  }
}

// ---------------------------------------------------------------- filters

/** For the x86 BCJ decoder: which recent-E8/E9 masks allow a conversion, and which operand byte each one tests. */
const X86_MASK_ALLOWS = [true, true, true, false, true, false, false, false] as const;
const X86_MASK_BYTE = [0, 1, 2, 2, 3, 3, 3, 3] as const;
const isSignByte = (b: number): boolean => b === 0x00 || b === 0xff;

/**
 * Undo the x86 BCJ filter over buf[start, end) in place. The encoder
 * turned the rel32 operand of CALL (E8) and JMP (E9) into an absolute
 * address (operand + the position after the instruction) when its top
 * byte is 00 or FF; this turns it back. `mask` remembers E8/E9 bytes seen
 * in the three positions before the current one (bit k: k + 1 bytes
 * back) that were left alone: an opcode byte inside another candidate's
 * operand makes a conversion less likely to be real, and the encoder
 * skips those cases the same way. `origin` is the stream position of
 * buf[start] (the filter's start offset).
 */
function undoX86Bcj(buf: Uint8Array, start: number, end: number, origin: number): void {
  let mask = 0;
  let lastCandidate = -8;
  for (let i = start; i + 5 <= end; i++) {
    if ((buf[i]! & 0xfe) !== 0xe8) continue;
    const gap = i - lastCandidate;
    lastCandidate = i;
    mask = gap > 3 ? 0 : (mask << (gap - 1)) & 7;
    if (mask !== 0 && (!X86_MASK_ALLOWS[mask] || isSignByte(buf[i + 4 - X86_MASK_BYTE[mask]!]!))) {
      mask = (mask << 1) | 1;
      continue;
    }
    if (!isSignByte(buf[i + 4]!)) {
      mask = (mask << 1) | 1;
      continue;
    }
    const here = (origin + (i - start) + 5) >>> 0;
    let value = le32(buf, i + 1);
    let target: number;
    for (;;) {
      target = (value - here) >>> 0;
      if (mask === 0) break;
      const shift = X86_MASK_BYTE[mask]! * 8;
      if (!isSignByte((target >>> (24 - shift)) & 0xff)) break;
      value = (target ^ ((1 << (32 - shift)) - 1)) >>> 0;
    }
    // Bits 25-31 copy bit 24: the operand is a sign-extended 25-bit displacement.
    target &= 0x01ffffff;
    if (target & 0x01000000) target |= 0xfe000000;
    buf[i + 1] = target & 0xff;
    buf[i + 2] = (target >>> 8) & 0xff;
    buf[i + 3] = (target >>> 16) & 0xff;
    buf[i + 4] = (target >>> 24) & 0xff;
    i += 4;
    // The next candidate is at least 5 bytes on, so its gap clears the mask.
  }
}

/** Undo the Delta filter over buf[start, end) in place: each byte was stored minus the byte `distance` before it. */
function undoDelta(buf: Uint8Array, start: number, end: number, distance: number): void {
  for (let i = start; i < end; i++) if (i - distance >= start) buf[i] = buf[i]! + buf[i - distance]!;
}

// ---------------------------------------------------------------- container

interface Filter {
  id: number;
  props: Uint8Array;
}

/** A reader over the input with the container's integer forms. */
class Reader {
  constructor(readonly b: Uint8Array, public p: number, readonly limit: number) {}

  need(n: number, what: string): void {
    if (this.p + n > this.limit) throw new XzError(`xz: input truncated in ${what} (offset ${this.p}, ${n} bytes needed, ${this.limit - this.p} left)`);
  }

  byte(what: string): number {
    this.need(1, what);
    return this.b[this.p++]!;
  }

  /** A variable-length integer: 7 bits per byte, low first, at most 9 bytes, no superfluous zero byte. */
  vli(what: string): number {
    let v = 0;
    for (let k = 0; k < 9; k++) {
      const at = this.p;
      const byte = this.byte(what);
      v += (byte & 0x7f) * 2 ** (7 * k);
      if ((byte & 0x80) === 0) {
        if (byte === 0 && k > 0) throw new XzError(`xz: ${what} at offset ${at} is an integer with a superfluous zero byte`);
        if (v > Number.MAX_SAFE_INTEGER) throw new XzError(`xz: ${what} at offset ${at} is too large`);
        return v;
      }
    }
    throw new XzError(`xz: ${what} at offset ${this.p - 9} is an integer longer than 9 bytes`);
  }
}

interface BlockRecord {
  unpadded: number;
  uncompressed: number;
}

interface StreamState {
  checkId: number;
  verified: boolean;
}

function verifyCheck(checkId: number, data: Uint8Array, stored: Uint8Array, where: number): boolean {
  if (checkId === CHECK_NONE) return true;
  let actual: Uint8Array | null;
  if (checkId === CHECK_CRC32) {
    actual = new Uint8Array(4);
    new DataView(actual.buffer).setUint32(0, crc32(data), true);
  } else if (checkId === CHECK_CRC64) {
    actual = crc64(data);
  } else if (checkId === CHECK_SHA256) {
    actual = sha256(data);
  } else {
    actual = null;
  }
  if (!actual) return false;
  if (actual.length !== stored.length || actual.some((b, i) => b !== stored[i])) {
    throw new XzError(`xz: the ${checkName(checkId).toUpperCase()} of the block at offset ${where} does not match its data (the data is corrupt)`);
  }
  return true;
}

function readBlock(r: Reader, out: Output, stream: StreamState): BlockRecord {
  const blockStart = r.p;
  const headerSize = (r.b[r.p]! + 1) * 4;
  r.need(headerSize, 'a block header');
  const headerEnd = blockStart + headerSize;
  if (crc32(r.b, blockStart, headerEnd - 4) !== le32(r.b, headerEnd - 4)) {
    throw new XzError(`xz: the block header at offset ${blockStart} fails its CRC32 (corrupt header)`);
  }
  const h = new Reader(r.b, blockStart + 1, headerEnd - 4);
  const flags = h.byte('block flags');
  if (flags & 0x3c) throw new XzError(`xz: the block header at offset ${blockStart} sets reserved flag bits (${hex(flags)})`);
  const compressedSize = flags & 0x40 ? h.vli('compressed size') : -1;
  const uncompressedSize = flags & 0x80 ? h.vli('uncompressed size') : -1;
  if (compressedSize === 0) throw new XzError(`xz: the block header at offset ${blockStart} gives a compressed size of 0`);
  const filters: Filter[] = [];
  for (let k = 0, n = (flags & 3) + 1; k < n; k++) {
    const id = h.vli('filter id');
    const size = h.vli('filter properties size');
    h.need(size, 'filter properties');
    filters.push({ id, props: r.b.subarray(h.p, h.p + size) });
    h.p += size;
  }
  for (; h.p < h.limit; h.p++) if (r.b[h.p] !== 0) throw new XzError(`xz: the block header at offset ${blockStart} has non-zero padding`);

  // The chain: non-last filters transform, the last one (LZMA2) compresses.
  let dictSize = 0;
  filters.forEach((f, k) => {
    const last = k === filters.length - 1;
    const bad = (why: string): never => { throw new XzError(`xz: block at offset ${blockStart}: ${why}`); };
    if (f.id === FILTER_LZMA2) {
      if (!last) bad('LZMA2 is not the last filter of the chain');
      if (f.props.length !== 1) bad(`LZMA2 properties are ${f.props.length} bytes, not 1`);
      const d = f.props[0]!;
      if (d > 40) bad(`LZMA2 dictionary size code ${d} is above 40`);
      dictSize = d === 40 ? 0xffffffff : (2 | (d & 1)) * 2 ** ((d >>> 1) + 11);
    } else if (last) {
      bad(`the last filter is ${hex(f.id)}, not LZMA2 (0x21)`);
    } else if (f.id === FILTER_X86) {
      if (f.props.length !== 0 && f.props.length !== 4) bad(`x86 BCJ properties are ${f.props.length} bytes, not 0 or 4`);
    } else if (f.id === FILTER_DELTA) {
      if (f.props.length !== 1) bad(`Delta properties are ${f.props.length} bytes, not 1`);
    } else {
      bad(`unsupported filter ${hex(f.id)}${OTHER_BCJ[f.id] ? ` (${OTHER_BCJ[f.id]})` : ''}`);
    }
  });

  const dataStart = headerEnd;
  const dataLimit = compressedSize >= 0 ? Math.min(r.limit, dataStart + compressedSize) : r.limit;
  if (compressedSize >= 0 && dataStart + compressedSize > r.limit) {
    throw new XzError(`xz: the block at offset ${blockStart} says ${compressedSize} compressed bytes follow its header; the input is truncated`);
  }
  const outStart = out.pos;
  const dataEnd = new Lzma2Decoder(out, dictSize).decode(r.b, dataStart, dataLimit);
  const compressed = dataEnd - dataStart;
  const uncompressed = out.pos - outStart;
  if (compressedSize >= 0 && compressed !== compressedSize) {
    throw new XzError(`xz: the block at offset ${blockStart} holds ${compressed} compressed bytes; its header says ${compressedSize}`);
  }
  if (uncompressedSize >= 0 && uncompressed !== uncompressedSize) {
    throw new XzError(`xz: the block at offset ${blockStart} decodes to ${uncompressed} bytes; its header says ${uncompressedSize}`);
  }
  for (let k = filters.length - 2; k >= 0; k--) {
    const f = filters[k]!;
    if (f.id === FILTER_X86) undoX86Bcj(out.buf, outStart, out.pos, f.props.length === 4 ? le32(f.props, 0) : 0);
    else undoDelta(out.buf, outStart, out.pos, f.props[0]! + 1);
  }
  r.p = dataEnd;
  while ((r.p - blockStart) % 4 !== 0) {
    if (r.byte('block padding') !== 0) throw new XzError(`xz: the block at offset ${blockStart} has non-zero padding`);
  }
  const size = checkSize(stream.checkId);
  r.need(size, 'a block check');
  const ok = verifyCheck(stream.checkId, out.buf.subarray(outStart, out.pos), r.b.subarray(r.p, r.p + size), blockStart);
  if (!ok) stream.verified = false;
  r.p += size;
  return { unpadded: headerSize + compressed + size, uncompressed };
}

/** The index: one record per block, which must agree with the blocks read. Returns its size. */
function readIndex(r: Reader, blocks: BlockRecord[]): number {
  const start = r.p;
  r.byte('the index'); // the 0x00 indicator, already seen
  const count = r.vli('index record count');
  if (count !== blocks.length) throw new XzError(`xz: the index at offset ${start} lists ${count} blocks; the stream has ${blocks.length}`);
  for (const [k, b] of blocks.entries()) {
    const unpadded = r.vli('index unpadded size');
    const uncompressed = r.vli('index uncompressed size');
    if (unpadded !== b.unpadded || uncompressed !== b.uncompressed) {
      throw new XzError(`xz: index record ${k} (${unpadded}, ${uncompressed} bytes) does not match block ${k} (${b.unpadded}, ${b.uncompressed})`);
    }
  }
  while ((r.p - start) % 4 !== 0) if (r.byte('index padding') !== 0) throw new XzError(`xz: the index at offset ${start} has non-zero padding`);
  r.need(4, 'the index CRC32');
  if (crc32(r.b, start, r.p) !== le32(r.b, r.p)) throw new XzError(`xz: the index at offset ${start} fails its CRC32 (corrupt index)`);
  r.p += 4;
  return r.p - start;
}

function readStream(r: Reader, out: Output): StreamState & { blocks: number } {
  const start = r.p;
  r.need(STREAM_HEADER_SIZE, 'the stream header');
  if (!XZ_MAGIC.every((b, i) => r.b[start + i] === b)) throw new XzError(`xz: no .xz stream header magic at offset ${start}`);
  if (crc32(r.b, start + 6, start + 8) !== le32(r.b, start + 8)) throw new XzError(`xz: the stream header at offset ${start} fails its CRC32 (corrupt header)`);
  const flags0 = r.b[start + 6]!;
  const flags1 = r.b[start + 7]!;
  if (flags0 !== 0 || (flags1 & 0xf0) !== 0) throw new XzError(`xz: the stream header at offset ${start} has unsupported flags ${hex((flags0 << 8) | flags1)}`);
  const stream: StreamState = { checkId: flags1 & 0x0f, verified: true };
  r.p = start + STREAM_HEADER_SIZE;
  const blocks: BlockRecord[] = [];
  for (;;) {
    r.need(1, 'a block header or the index');
    if (r.b[r.p] === 0x00) break;
    blocks.push(readBlock(r, out, stream));
  }
  const indexSize = readIndex(r, blocks);
  const footer = r.p;
  r.need(STREAM_HEADER_SIZE, 'the stream footer');
  if (r.b[footer + 10] !== FOOTER_MAGIC[0] || r.b[footer + 11] !== FOOTER_MAGIC[1]) throw new XzError(`xz: no stream footer magic "YZ" at offset ${footer + 10}`);
  if (crc32(r.b, footer + 4, footer + 10) !== le32(r.b, footer)) throw new XzError(`xz: the stream footer at offset ${footer} fails its CRC32 (corrupt footer)`);
  if ((le32(r.b, footer + 4) + 1) * 4 !== indexSize) throw new XzError(`xz: the stream footer at offset ${footer} gives an index size that does not match the index`);
  if (r.b[footer + 8] !== flags0 || r.b[footer + 9] !== flags1) throw new XzError(`xz: the stream footer's flags at offset ${footer} differ from the header's`);
  r.p = footer + STREAM_HEADER_SIZE;
  return { ...stream, blocks: blocks.length };
}

/**
 * Decode .xz data: every stream to the end of `input` (stream padding,
 * zero bytes in fours, may follow each), or with `singleStream` the
 * first one only. Throws XzError on anything malformed.
 */
export function decodeXz(input: Uint8Array, options: XzOptions = {}): XzResult {
  const max = options.maxOutput ?? 2 ** 30;
  const out = new Output(options.sizeHint ?? input.length * 4, max);
  const r = new Reader(input, 0, input.length);
  let streams = 0;
  let blocks = 0;
  let verified = true;
  let check: XzCheckName = 'none';
  for (;;) {
    const s = readStream(r, out);
    streams++;
    blocks += s.blocks;
    verified &&= s.verified;
    check = checkName(s.checkId);
    if (options.singleStream) break;
    const padStart = r.p;
    while (r.p < input.length && input[r.p] === 0) r.p++;
    if ((r.p - padStart) % 4 !== 0) throw new XzError(`xz: stream padding at offset ${padStart} is ${r.p - padStart} bytes, not a multiple of 4`);
    if (r.p === input.length) break;
  }
  return { output: out.result(), check, checkVerified: verified, streams, blocks, end: r.p };
}
