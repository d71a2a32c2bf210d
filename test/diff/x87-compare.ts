/**
 * Comparison of the x87/MMX state of a case's end (control word, status
 * word, tags, the eight registers, and the last-instruction pointers),
 * masking only what the overlay (undefined-flags.ts) says the manual
 * leaves undefined, plus one limit of the oracle: the host's kernel saves
 * FOP, FIP and FDP into the signal frame only while an exception is
 * pending (FSW.ES = 1, AMD's FXSAVE rule), so they are compared then only.
 */
import type { Instruction } from '../../translator/table/types.js';
import type { OracleCase } from '../oracle/native.js';
import type { X87Result } from '../oracle/layout.js';
import { x87Undefined } from './undefined-flags.js';

const hex = (v: number, w: number): string => (v >>> 0).toString(16).padStart(w, '0');

/** An 80-bit register (physical p) as sign/exponent:significand hex. */
export function regHex(regs: Uint8Array, p: number): string {
  let s = '';
  for (let k = 9; k >= 0; k--) s += regs[p * 10 + k]!.toString(16).padStart(2, '0');
  return `${s.slice(0, 4)}:${s.slice(4)}`;
}

const SW_NAMES: Array<[number, string]> = [
  [0x1, 'IE'], [0x2, 'DE'], [0x4, 'ZE'], [0x8, 'OE'], [0x10, 'UE'], [0x20, 'PE'], [0x40, 'SF'], [0x80, 'ES'],
  [0x100, 'C0'], [0x200, 'C1'], [0x400, 'C2'], [0x3800, 'TOP'], [0x4000, 'C3'], [0x8000, 'B'],
];

function swNames(bits: number): string {
  return SW_NAMES.filter(([b]) => bits & b).map(([, n]) => n).join(' ');
}

/** Differences of the x87 state (empty when they agree). `insn` is undefined when the bytes do not decode. */
export function compareX87(insn: Instruction | undefined, c: OracleCase, cpu: X87Result, ours: X87Result): string[] {
  const diffs: string[] = [];
  const u = insn ? x87Undefined(insn, c, cpu, ours) : { fsw: 0, regs: 0, note: '' };
  if (cpu.fcw !== ours.fcw) diffs.push(`x87 fcw: cpu ${hex(cpu.fcw, 4)} ours ${hex(ours.fcw, 4)}`);
  const swDiff = (cpu.fsw ^ ours.fsw) & ~u.fsw & 0xffff;
  if (swDiff) diffs.push(`x87 fsw: cpu ${hex(cpu.fsw, 4)} ours ${hex(ours.fsw, 4)} (differ in ${swNames(swDiff)})`);
  if (cpu.ftw !== ours.ftw) diffs.push(`x87 tags (not empty): cpu ${hex(cpu.ftw, 2)} ours ${hex(ours.ftw, 2)}`);
  const top = (cpu.fsw >> 11) & 7;
  for (let p = 0; p < 8; p++) {
    if ((u.regs >> p) & 1) continue;
    const a = regHex(cpu.regs, p), b = regHex(ours.regs, p);
    if (a !== b) diffs.push(`x87 R${p} (ST${(p - top) & 7}): cpu ${a} ours ${b}`);
  }
  if (cpu.fsw & 0x80) {
    if (cpu.fop !== ours.fop) diffs.push(`x87 fop: cpu ${hex(cpu.fop, 3)} ours ${hex(ours.fop, 3)}`);
    if (cpu.fip !== ours.fip) diffs.push(`x87 fip: cpu ${hex(cpu.fip, 8)} ours ${hex(ours.fip, 8)}`);
    if (cpu.fdp !== ours.fdp) diffs.push(`x87 fdp: cpu ${hex(cpu.fdp, 8)} ours ${hex(ours.fdp, 8)}`);
  }
  if (diffs.length && u.note) diffs.push(`(overlay: ${u.note})`);
  return diffs;
}

/** The initial x87 state of a case, for reproducers. */
export function describeX87(c: OracleCase): string[] {
  const x = c.x87;
  if (!x) return [];
  const top = (x.fsw >> 11) & 7;
  const regs = [];
  for (let s = 0; s < 8; s++) {
    const p = (top + s) & 7;
    regs.push(`st${s}=${(x.ftw >> p) & 1 ? regHex(x.regs, p) : `(empty ${regHex(x.regs, p)})`}`);
  }
  const lines = [`  x87: fcw=${hex(x.fcw, 4)} fsw=${hex(x.fsw, 4)} tags=${hex(x.ftw, 2)} ${regs.join(' ')}`];
  if (c.memPatch) lines.push(`  memory patch at ${hex(c.memPatch.address, 5)}: ${Array.from(c.memPatch.bytes, (b) => hex(b, 2)).join(' ')}`);
  return lines;
}
