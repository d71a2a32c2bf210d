/**
 * Opcode forms, generated from the opcode table: one row at one operand
 * size, in register or memory form, at one address size. The differential
 * harness runs N cases of every form.
 */
import { OPCODE_TABLE, parseOpcode, type OpcodeForm } from '../../translator/table/index.js';
import type { OpcodeRow, OperandSpec } from '../../translator/table/types.js';

export interface Form {
  /** Stable name, e.g. 'ADD Ev,Gv o16 mem a32'. */
  readonly id: string;
  readonly row: OpcodeRow;
  readonly encoding: OpcodeForm;
  readonly opsize: 16 | 32;
  /** The r/m operand form, or 'none' for encodings without one. */
  readonly rm: 'reg' | 'mem' | 'none';
  readonly adsize: 16 | 32;
}

/** Operations whose behaviour depends on the operand size even without a v/z operand. */
const OPSIZE_SEMS = new Set([
  'jcc', 'jmp', 'call', 'ret', 'loop', 'loope', 'loopne', 'jcxz', 'pushf', 'popf', 'pusha', 'popa',
  'enter', 'leave', 'cbw', 'cwd', 'push', 'pop', 'pushSeg', 'movFromSeg', 'bound',
]);

/** Operations that use an address-size-dependent register (CX/ECX, SI/ESI, DI/EDI, BX/EBX). */
const ADSIZE_SEMS = new Set(['loop', 'loope', 'loopne', 'jcxz', 'xlat']);

function opsizeMatters(row: OpcodeRow): boolean {
  return OPSIZE_SEMS.has(row.sem) || row.operands.some((s) => s === 'eAX' || /^[A-Z][vzap]$/.test(s) || s === 'IbS' || s === 'm14/28byte' || s === 'm94/108byte');
}

function hasRm(ops: readonly OperandSpec[]): 'both' | 'mem' | 'none' {
  if (ops.some((s) => /^E[bvwdp]$/.test(s) || /^Q[qd]$/.test(s))) return 'both';
  if (ops.some((s) => s[0] === 'M' || s[0] === 'm')) return 'mem';
  if (ops.includes('Nq')) return 'both'; // MMX register-only operands (the row's mod: 'reg' keeps the register form)
  return 'none';
}

function adsizeMatters(row: OpcodeRow): boolean {
  return ADSIZE_SEMS.has(row.sem) || row.operands.some((s) => s[0] === 'X' || s[0] === 'Y' || s[0] === 'O');
}

/** Every form the harness can run natively (rows marked noDiff are left out, with their reason). */
export function enumerateForms(): Form[] {
  const forms: Form[] = [];
  for (const row of OPCODE_TABLE) {
    if (row.noDiff) continue;
    const encoding = parseOpcode(row);
    const opsizes: Array<16 | 32> = opsizeMatters(row) ? [32, 16] : [32];
    const rmKind = hasRm(row.operands);
    const rms: Array<'reg' | 'mem' | 'none'> = rmKind === 'both' ? ['reg', 'mem'] : rmKind === 'mem' ? ['mem'] : ['none'];
    if (row.mod === 'reg') rms.splice(0, rms.length, 'reg');
    for (const opsize of opsizes) {
      for (const rm of rms) {
        const adsizes: Array<16 | 32> = rm === 'mem' || adsizeMatters(row) ? [32, 16] : [32];
        for (const adsize of adsizes) {
          const id = `${row.mnemonic} ${row.operands.join(',')} [${row.opcode}]` +
            (opsizes.length > 1 ? ` o${opsize}` : '') + (rm !== 'none' ? ` ${rm}` : '') + (adsizes.length > 1 ? ` a${adsize}` : '');
          forms.push({ id, row, encoding, opsize, rm, adsize });
        }
      }
    }
  }
  return forms;
}

/** Does the filter (a group, a mnemonic, or a substring of the form id) select this form? */
export function formMatches(form: Form, filter: string | undefined): boolean {
  if (!filter) return true;
  return filter.split(',').some((f) => {
    const t = f.trim().toLowerCase();
    return form.row.group === t || form.row.mnemonic.toLowerCase() === t || form.row.sem.toLowerCase() === t ||
      form.id.toLowerCase().includes(t);
  });
}
