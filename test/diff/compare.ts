/**
 * Compares a tier's result with the CPU's, masking only what the overlay
 * (undefined-flags.ts) says the manual leaves undefined, and renders a
 * reproducer for a mismatch.
 */
import { decode } from '../../translator/decoder.js';
import { isFault } from '../../translator/table/types.js';
import { VECTOR_NAMES } from '../../runtime/exceptions.js';
import type { OracleCase, OracleResult } from '../oracle/native.js';
import { COMPARED_FLAGS, memoryUndefined, undefinedParts } from './undefined-flags.js';
import { compareX87, describeX87 } from './x87-compare.js';

const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

const hex = (v: number, w = 8): string => (v >>> 0).toString(16).padStart(w, '0');

/** Differences between the CPU's result and ours, as readable lines (empty when they agree). */
export function compareResults(c: OracleCase, cpu: OracleResult, ours: OracleResult): string[] {
  const diffs: string[] = [];
  if (cpu.status !== undefined && cpu.status !== 'ok') return [`the oracle did not run the case: ${cpu.status}${cpu.error ? ` (${cpu.error})` : ''}`];
  const insn = decode((k) => c.code[k] ?? 0xf4, c.codeOffset ?? 0x1800, c.mode === 32);
  let flagMask = COMPARED_FLAGS;
  const regMask = new Array<number>(8).fill(0xffffffff);
  let memUndefined = false;
  if (!isFault(insn)) {
    const u = undefinedParts(insn, c.regs as ArrayLike<number>);
    flagMask &= ~u.flags;
    for (const [r, m] of u.regs) regMask[r] = (regMask[r]! & ~m) >>> 0;
    memUndefined = memoryUndefined(insn, c.regs as ArrayLike<number>);
  }
  if (cpu.vector !== ours.vector) {
    diffs.push(`exception: cpu ${vectorName(cpu.vector)} ours ${vectorName(ours.vector)}`);
  } else if (cpu.errorCode !== ours.errorCode) {
    diffs.push(`error code: cpu ${hex(cpu.errorCode, 4)} ours ${hex(ours.errorCode, 4)}`);
  }
  if (cpu.vector === 14 && ours.vector === 14 && cpu.cr2 !== ours.cr2) diffs.push(`cr2: cpu ${hex(cpu.cr2)} ours ${hex(ours.cr2)}`);
  if (cpu.eip !== ours.eip) diffs.push(`eip: cpu ${hex(cpu.eip)} ours ${hex(ours.eip)}`);
  for (let r = 0; r < 8; r++) {
    const m = regMask[r]!;
    if (((cpu.regs[r]! ^ ours.regs[r]!) & m) !== 0) diffs.push(`${REG_NAMES[r]}: cpu ${hex(cpu.regs[r]!)} ours ${hex(ours.regs[r]!)}`);
  }
  const fx = (cpu.eflags ^ ours.eflags) & flagMask;
  if (fx) diffs.push(`eflags: cpu ${hex(cpu.eflags & flagMask, 4)} ours ${hex(ours.eflags & flagMask, 4)} (differ in ${flagNames(fx)})`);
  if (!memUndefined) {
    const a = new Map(cpu.memWrites), b = new Map(ours.memWrites);
    const addrs = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
    const bad = addrs.filter((k) => a.get(k) !== b.get(k));
    if (bad.length) {
      diffs.push(`memory: ${bad.slice(0, 8).map((k) => `[${hex(k, 5)}] cpu ${fmtByte(a.get(k))} ours ${fmtByte(b.get(k))}`).join(', ')}${bad.length > 8 ? ` … (${bad.length} bytes)` : ''}`);
    }
  }
  if (cpu.x87 && ours.x87 && cpu.vector !== -1) diffs.push(...compareX87(isFault(insn) ? undefined : insn, c, cpu.x87, ours.x87));
  return diffs;
}

function fmtByte(v: number | undefined): string {
  return v === undefined ? '--' : hex(v, 2);
}

function vectorName(v: number): string {
  if (v === -1) return 'timeout';
  if (v === -3) return 'vm-exit';
  return VECTOR_NAMES[v] ?? `vector ${v}`;
}

function flagNames(bits: number): string {
  const names: Array<[number, string]> = [[1, 'CF'], [4, 'PF'], [16, 'AF'], [64, 'ZF'], [128, 'SF'], [1024, 'DF'], [2048, 'OF']];
  return names.filter(([b]) => bits & b).map(([, n]) => n).join(' ');
}

/** A reproducer: everything needed to rerun the case by hand. */
export function reproducer(formId: string, c: OracleCase, diffs: string[]): string {
  const bytes = Array.from(c.code, (b) => hex(b, 2)).join(' ');
  const regs = REG_NAMES.map((n, r) => `${n}=${hex(Number(c.regs[r]))}`).join(' ');
  return [
    `FAIL ${formId}`,
    `  bytes: ${bytes}   (mode ${c.mode}, at ${hex(c.codeOffset ?? 0x1800, 4)})`,
    `  initial: ${regs} eflags=${hex(c.eflags, 4)} memSeed=${hex(c.memSeed)}`,
    ...describeX87(c),
    ...diffs.map((d) => `  ${d}`),
  ].join('\n');
}
