/**
 * Case generation from opcode forms: encodes the form with random
 * prefixes, ModRM/SIB, displacements and immediates, then picks register
 * values so that memory operands land where the test wants them (mapped
 * data, page boundaries, the read-only page, unmapped pages, 16-bit and
 * 32-bit address wrap-around) and branch targets land on the HLT sled.
 */
import type { Form } from './forms.js';
import {
  CODE_BASE, CODE_END, DATA_BASE, DATA_RO_BASE, DEFAULT_CODE_OFFSET, STACK_BASE, STACK_SIZE, findForbidden,
} from '../oracle/layout.js';
import type { OracleCase } from '../oracle/native.js';
import { Reg } from '../../translator/table/types.js';
import { generateX87, x87Patch, x87Target, x87Trailer } from './x87-state.js';

/** xorshift128-style deterministic generator (seeded, reproducible). */
export class Rng {
  private s0: number;
  private s1: number;
  constructor(seed: number) {
    this.s0 = (seed ^ 0x6d2b79f5) | 1;
    this.s1 = Math.imul(seed, 0x9e3779b1) | 2;
    for (let i = 0; i < 8; i++) this.u32();
  }
  u32(): number {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    this.s1 = x;
    return (this.s1 + y) >>> 0;
  }
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  /** A 32-bit value biased to the corner cases of arithmetic. */
  interesting(): number {
    switch (this.int(8)) {
      case 0: return this.pick([0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000]);
      case 1: return this.int(16);
      case 2: return (0xffffffff - this.int(16)) >>> 0;
      case 3: return this.u32() & 0xff;
      case 4: return this.u32() & 0xffff;
      default: return this.u32();
    }
  }
}

/** Inverse of an odd number modulo 2^32 (Newton's iteration). */
function inverseOdd(a: number): number {
  let x = a;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x));
  return x >>> 0;
}

const RM16: ReadonlyArray<readonly [number, number]> = [
  [Reg.EBX, Reg.ESI], [Reg.EBX, Reg.EDI], [Reg.EBP, Reg.ESI], [Reg.EBP, Reg.EDI],
  [Reg.ESI, -1], [Reg.EDI, -1], [Reg.EBP, -1], [Reg.EBX, -1],
];

/** Where a memory operand should land. */
function targetAddress(rng: Rng, size: number): number {
  const r = rng.int(100);
  if (r < 55) return DATA_BASE + rng.int(DATA_RO_BASE - DATA_BASE - 8);
  if (r < 65) return STACK_BASE + rng.int(STACK_SIZE - 8);
  if (r < 72) return DATA_RO_BASE + rng.int(0x1000 - 8); // read-only page: writes fault
  if (r < 90) {
    // Straddle a page boundary: mapped/mapped, rw/ro, unmapped/mapped, mapped/unmapped.
    const edge = rng.pick([0x5000, 0x6000, DATA_RO_BASE, DATA_BASE, STACK_BASE, 0x9000, STACK_BASE + STACK_SIZE, 0x8000]);
    return edge - 1 - rng.int(Math.max(size, 1) + 1) + rng.int(2);
  }
  if (r < 95) return rng.u32(); // almost surely unmapped
  return rng.pick([0x3ff0 + rng.int(32), 0xfff0 + rng.int(32), 0x1000 + rng.int(0x2000)]); // code (read-only) or gaps
}

interface Encoding {
  bytes: number[];
  regs: number[];
}

/** Build one random case of `form`. */
export function generateCase(form: Form, rng: Rng, seed: number): OracleCase {
  for (;;) {
    const c = tryGenerate(form, rng, seed);
    if (c && findForbidden(c.code) < 0) return c;
  }
}

function tryGenerate(form: Form, rng: Rng, seed: number): OracleCase | null {
  const row = form.row;
  const mode: 16 | 32 = rng.chance(0.3) ? 16 : 32;
  const regs = Array.from({ length: 8 }, () => rng.interesting());
  const prefixes: number[] = [];
  if ((form.opsize === 16) !== (mode === 16) && !row.prefixUd) prefixes.push(0x66);
  if ((form.adsize === 16) !== (mode === 16)) prefixes.push(0x67);
  const isString = row.group === 'string';
  if (row.rep && rng.chance(0.6)) prefixes.push(row.rep === 'repcc' ? rng.pick([0xf3, 0xf2]) : 0xf3);
  if (form.rm === 'mem' || isString || row.operands.some((s) => s[0] === 'O') || row.sem === 'xlat') {
    if (rng.chance(0.25)) prefixes.push(rng.pick([0x3e, 0x26, 0x36, 0x2e, 0x3e, 0x26, 0x64, 0x65]));
  }
  if (form.rm === 'mem' && row.lock && rng.chance(0.15)) prefixes.push(0xf0);
  if (!row.lock && rng.chance(0.01)) prefixes.push(0xf0); // must be #UD
  // Shuffle prefix order: the CPU accepts any order.
  for (let k = prefixes.length - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [prefixes[k], prefixes[j]] = [prefixes[j]!, prefixes[k]!];
  }

  const enc = form.encoding;
  const bytes: number[] = [...prefixes];
  if (enc.map === 1) bytes.push(0x0f);
  bytes.push(enc.bytes.length > 1 ? rng.pick(enc.bytes) : enc.bytes[0]!);

  let memTarget: number | null = null;
  const fpu = row.group === 'x87' || row.group === 'mmx';
  if (enc.modrmBytes) {
    bytes.push(rng.pick(enc.modrmBytes)); // x87 register forms: exact ModRM bytes
  } else if (enc.modrm) {
    const regField = enc.digit >= 0 ? enc.digit : rng.int(8);
    if (form.rm !== 'mem') {
      bytes.push(0xc0 | (regField << 3) | rng.int(8));
    } else {
      const size = row.operands.some((s) => /^[EM][vzp]$/.test(s)) ? form.opsize / 8 : 1;
      memTarget = targetAddress(rng, size);
      if (fpu) memTarget = x87Target(form, rng, memTarget);
      encodeMemory(rng, form.adsize, regField, memTarget, bytes, regs);
    }
  }

  // Immediates and other operands, in operand order.
  const nextLen = (): number => bytes.length;
  for (const spec of row.operands) {
    switch (spec) {
      case 'Ib': case 'IbS': {
        const shift = row.group === 'shift';
        bytes.push(shift ? rng.pick([0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, rng.int(256)]) : rng.interesting() & 0xff);
        break;
      }
      case 'Iw': pushImm(bytes, row.sem === 'ret' ? rng.int(16) * 2 : rng.interesting(), 2); break;
      case 'Iz': case 'Iv': pushImm(bytes, rng.interesting(), form.opsize / 8); break;
      case 'Ob': case 'Ov': {
        const t = targetAddress(rng, form.opsize / 8);
        pushImm(bytes, form.adsize === 16 ? t & 0xffff : t, form.adsize / 8);
        break;
      }
      case 'Jb': case 'Jz': {
        const width = spec === 'Jb' ? 1 : form.opsize / 8;
        // Land on the HLT sled outside the instruction itself (a jump into its own bytes could loop).
        const len = nextLen() + width;
        let rel: number;
        do {
          rel = spec === 'Jb' ? rng.int(256) - 128 : rng.int(0x1400) - 0xa00;
        } while (rel >= -len && rel < 0);
        pushImm(bytes, rel, width);
        break;
      }
      default: break;
    }
  }

  shapeRegisters(form, rng, regs, mode, memTarget);
  if (fpu) bytes.push(...x87Trailer(form, rng, mode));
  const code = Uint8Array.from(bytes);
  // Occasionally put the instruction so that it straddles the end of the code pages.
  const codeOffset = rng.chance(0.03) ? CODE_END - code.length + rng.int(code.length) : DEFAULT_CODE_OFFSET;
  if (codeOffset + code.length > CODE_END) return null;
  const c: OracleCase = {
    mode, code, codeOffset, regs: regs.map((r) => r >>> 0),
    eflags: rng.u32() & 0x8d5 | (rng.chance(0.1) ? 0x400 : 0), memSeed: seed >>> 0,
  };
  if (fpu) {
    c.x87 = generateX87(rng, form);
    const patch = x87Patch(form, rng, memTarget);
    if (patch) c.memPatch = patch;
  }
  return c;
}

function pushImm(bytes: number[], v: number, size: number): void {
  for (let k = 0; k < size; k++) bytes.push((v >>> (8 * k)) & 0xff);
}

/** Encode ModRM (+SIB, displacement) for a memory operand and solve a base register for `target`. */
function encodeMemory(rng: Rng, adsize: 16 | 32, regField: number, target: number, bytes: number[], regs: number[]): void {
  const mod = rng.int(3);
  const rm = rng.int(8);
  bytes.push((mod << 6) | (regField << 3) | rm);
  if (adsize === 16) {
    let disp = 0;
    if (mod === 0 && rm === 6) {
      disp = target & 0xffff;
      pushImm(bytes, disp, 2);
      return;
    }
    if (mod === 1) { disp = (rng.int(256) << 24) >> 24; pushImm(bytes, disp, 1); }
    if (mod === 2) { disp = rng.u32() & 0xffff; pushImm(bytes, disp, 2); }
    const [base, index] = RM16[rm]!;
    const idx = index >= 0 ? regs[index]! & 0xffff : 0;
    // Upper halves stay random: 16-bit addressing must ignore them.
    regs[base] = ((regs[base]! & 0xffff0000) | ((target - idx - disp) & 0xffff)) >>> 0;
    return;
  }
  let base = rm;
  let index = -1;
  let scale = 0;
  if (rm === 4) {
    scale = rng.int(4);
    index = rng.int(8);
    base = rng.int(8);
    bytes.push((scale << 6) | (index << 3) | base);
    if (index === 4) index = -1;
    if (base === 5 && mod === 0) {
      base = -1;
    }
  } else if (rm === 5 && mod === 0) {
    base = -1;
  }
  let disp = 0;
  if (base === -1) disp = rng.u32();
  else if (mod === 1) disp = (rng.int(256) << 24) >> 24;
  else if (mod === 2) disp = rng.chance(0.5) ? rng.u32() : rng.int(0x100) - 0x80;
  if (index >= 0 && rng.chance(0.7)) regs[index] = rng.int(0x400) - 0x200;
  const want = (target - disp) >>> 0;
  if (base === -1) {
    // disp32 only (plus maybe an index): solve the index or the displacement.
    if (index >= 0) {
      if (scale === 0 || rng.chance(0.5)) regs[index] = (want - 0) >>> 0;
      disp = (target - ((regs[index]! << scale) >>> 0)) >>> 0;
    } else {
      disp = target >>> 0;
    }
  } else if (index === base) {
    // r * (2^scale + 1) = want (mod 2^32): invertible when the factor is odd.
    const factor = (1 << scale) + 1;
    if (factor & 1) regs[base] = Math.imul(want, inverseOdd(factor)) >>> 0;
    else regs[base] = (want >>> 1) >>> 0; // scale 0: 2r = want, off by one when odd
  } else {
    const idx = index >= 0 ? (regs[index]! << scale) >>> 0 : 0;
    regs[base] = (want - idx) >>> 0;
  }
  if (base === -1 || (rm === 4 && base === -1)) pushImm(bytes, disp, 4);
  else if (mod === 1) pushImm(bytes, disp, 1);
  else if (mod === 2) pushImm(bytes, disp, 4);
}

/** Registers with a meaning for the form: stack pointer, string pointers and counts, branch targets. */
function shapeRegisters(form: Form, rng: Rng, regs: number[], mode: 16 | 32, memTarget: number | null): void {
  const row = form.row;
  const usesStack = ['stack', 'call'].includes(row.group) || ['pushSeg', 'into', 'int3'].includes(row.sem);
  const espUsedForAddress = memTarget !== null && regs[Reg.ESP] !== undefined;
  if (usesStack && !(espUsedForAddress && rng.chance(0.5))) {
    const sp = rng.chance(0.9) ? STACK_BASE + 0x40 + rng.int(STACK_SIZE - 0x80) : rng.pick([STACK_BASE + rng.int(8), STACK_BASE + STACK_SIZE - rng.int(8), rng.u32()]);
    regs[Reg.ESP] = mode === 16 ? ((regs[Reg.ESP]! & 0xffff0000) | (sp & 0xffff)) >>> 0 : sp >>> 0;
    if (row.sem === 'leave' || row.sem === 'enter') {
      regs[Reg.EBP] = rng.chance(0.8) ? STACK_BASE + 0x40 + rng.int(STACK_SIZE - 0x80) : regs[Reg.EBP]!;
      if (mode === 16) regs[Reg.EBP] = ((rng.u32() & 0xffff0000) | (regs[Reg.EBP]! & 0xffff)) >>> 0;
    }
  }
  if (row.group === 'string' || row.sem === 'xlat') {
    const a16 = form.adsize === 16;
    for (const r of [Reg.ESI, Reg.EDI, Reg.EBX]) {
      const t = targetAddress(rng, 4);
      regs[r] = a16 ? ((regs[r]! & 0xffff0000) | (t & 0xffff)) >>> 0 : t >>> 0;
    }
    const count = rng.chance(0.85) ? rng.int(12) : rng.pick([0x1000 + rng.int(0x100), rng.u32()]);
    regs[Reg.ECX] = a16 ? ((regs[Reg.ECX]! & 0xffff0000) | (count & 0xffff)) >>> 0 : count >>> 0;
    if (row.sem === 'scas' || row.sem === 'cmps') {
      // Make a match likely somewhere: a small AL/AX/EAX.
      if (rng.chance(0.5)) regs[Reg.EAX] = rng.u32() & 0xff;
    }
  }
  if (['loop', 'loope', 'loopne', 'jcxz'].includes(row.sem) && rng.chance(0.5)) {
    regs[Reg.ECX] = rng.pick([0, 1, 2, 0x10000, 0x10001, 0xffffffff]);
  }
  if ((row.sem === 'jmp' || row.sem === 'call') && form.rm === 'reg') {
    // Indirect through a register: mostly onto the sled, sometimes anywhere.
    const t = rng.chance(0.85) ? CODE_BASE + rng.int(CODE_END - CODE_BASE) : rng.u32();
    for (let r = 0; r < 8; r++) if (rng.chance(1)) regs[r] = r === Reg.ESP && usesStack ? regs[r]! : t;
  }
}
