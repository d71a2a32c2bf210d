/**
 * Chains: several register-form instructions in one case, with JMP +0 and
 * Jcc +0 between some of them to end basic blocks without changing the
 * flow. Single-instruction cases never carry flags from one block to the
 * next; chains do (lazy records flushed and reloaded, CF kept across
 * INC/DEC, carries read at a block start), and the CPU is the judge.
 *
 * Only instructions whose flag results the SDM defines completely are
 * chained, except AF after the logic operations, which is tracked and
 * masked at the end when still undefined.
 */
import type { Form } from './forms.js';
import { generateCase, Rng } from './generate.js';
import type { OracleCase, OracleResult } from '../oracle/native.js';
import { MAX_CODE_LENGTH, DEFAULT_CODE_OFFSET } from '../oracle/layout.js';
import { COMPARED_FLAGS } from './undefined-flags.js';

/** Chainable operations (semantic routine names). */
const CHAINABLE = new Set([
  'add', 'adc', 'sub', 'sbb', 'cmp', 'neg', 'inc', 'dec', 'and', 'or', 'xor', 'test', 'not',
  'clc', 'stc', 'cmc', 'setcc', 'cmovcc', 'mov', 'movzx', 'movsx', 'xchg', 'cbw', 'cwd', 'salc', 'sahf',
]);
/** Operations that leave AF undefined, and those that define it again. */
const AF_UNDEFINED = new Set(['and', 'or', 'xor', 'test']);
const AF_DEFINED = new Set(['add', 'adc', 'sub', 'sbb', 'cmp', 'neg', 'inc', 'dec', 'sahf']);

export function chainForms(all: readonly Form[]): Form[] {
  return all.filter((f) => CHAINABLE.has(f.row.sem) && f.rm !== 'mem' && !f.row.lock);
}

export interface ChainCase {
  readonly c: OracleCase;
  readonly forms: readonly Form[];
  /** EFLAGS bits to compare at the end. */
  readonly flagMask: number;
}

/** One chain of up to `k` instructions (fewer when the 32-byte code limit is reached). */
export function generateChain(forms: readonly Form[], k: number, rng: Rng, seed: number): ChainCase {
  const mode: 16 | 32 = rng.chance(0.3) ? 16 : 32;
  const bytes: number[] = [];
  const used: Form[] = [];
  let regs: number[] | null = null;
  let eflags = 0;
  let afUndefined = false;
  for (let n = 0; n < k; n++) {
    const form = rng.pick(forms);
    let c: OracleCase;
    do c = generateCase(form, rng, seed + n); while (c.mode !== mode);
    const split = rng.chance(0.4) ? (rng.chance(0.5) ? [0xeb, 0x00] : [0x70 + rng.int(16), 0x00]) : [];
    if (bytes.length + split.length + c.code.length > MAX_CODE_LENGTH) break;
    bytes.push(...split, ...c.code);
    used.push(form);
    if (!regs) { regs = Array.from(c.regs, Number); eflags = c.eflags; }
    if (AF_UNDEFINED.has(form.row.sem)) afUndefined = true;
    else if (AF_DEFINED.has(form.row.sem)) afUndefined = false;
  }
  const c: OracleCase = { mode, code: Uint8Array.from(bytes), codeOffset: DEFAULT_CODE_OFFSET, regs: regs!, eflags, memSeed: seed >>> 0 };
  return { c, forms: used, flagMask: COMPARED_FLAGS & ~(afUndefined ? 0x10 : 0) };
}

const hex = (v: number, w = 8): string => (v >>> 0).toString(16).padStart(w, '0');
const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

/** Differences between the CPU's result of a chain and a tier's. */
export function compareChain(ch: ChainCase, cpu: OracleResult, ours: OracleResult): string[] {
  const d: string[] = [];
  if (cpu.status !== 'ok') return [`the oracle did not run the case: ${cpu.status}`];
  if (cpu.vector !== ours.vector || cpu.errorCode !== ours.errorCode) d.push(`exception: cpu ${cpu.vector}/${cpu.errorCode} ours ${ours.vector}/${ours.errorCode}`);
  if (cpu.eip !== ours.eip) d.push(`eip: cpu ${hex(cpu.eip)} ours ${hex(ours.eip)}`);
  for (let r = 0; r < 8; r++) if (cpu.regs[r] !== ours.regs[r]) d.push(`${REG_NAMES[r]}: cpu ${hex(cpu.regs[r]!)} ours ${hex(ours.regs[r]!)}`);
  if ((cpu.eflags ^ ours.eflags) & ch.flagMask) d.push(`eflags: cpu ${hex(cpu.eflags & ch.flagMask, 4)} ours ${hex(ours.eflags & ch.flagMask, 4)}`);
  if (JSON.stringify(cpu.memWrites) !== JSON.stringify(ours.memWrites)) d.push('memory writes differ');
  return d;
}

export function chainReproducer(ch: ChainCase, diffs: string[]): string {
  return [
    `FAIL chain: ${ch.forms.map((f) => f.id).join(' ; ')}`,
    `  bytes: ${Array.from(ch.c.code, (b) => hex(b, 2)).join(' ')}   (mode ${ch.c.mode})`,
    `  initial: ${REG_NAMES.map((n, r) => `${n}=${hex(Number(ch.c.regs[r]))}`).join(' ')} eflags=${hex(ch.c.eflags, 4)}`,
    ...diffs.map((x) => `  ${x}`),
  ].join('\n');
}

export { Rng };
