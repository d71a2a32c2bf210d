/**
 * The whole opcode table and the decode maps built from it. Every consumer
 * (decoder, block former, tiers, test generator) reads the rows from here.
 */
import type { OpcodeRow } from './types.js';
import { ALU } from './alu.js';
import { SHIFT_BIT } from './shift-bit.js';
import { CONTROL } from './control.js';
import { DATA } from './data.js';
import { SYSTEM } from './system.js';
import { FPU } from './fpu.js';

/**
 * A row with every field of OpcodeRow, in one order (absent ones
 * undefined): the rows are written as literals with different optional
 * fields, so each kind of literal had a shape of its own, and the
 * interpreter's and the translator's reads of row.sem, row.ends,
 * row.sensitive, ... were megamorphic property loads (V8's slowest kind).
 * One shape makes them monomorphic.
 */
function normalizeRow(r: OpcodeRow): OpcodeRow {
  // Every field required here: the compiler says when OpcodeRow gains one this leaves out.
  const row: { [K in keyof Required<OpcodeRow>]: OpcodeRow[K] } = {
    mnemonic: r.mnemonic, opcode: r.opcode, operands: r.operands, sem: r.sem, group: r.group, reads: r.reads, writes: r.writes,
    lock: r.lock, rep: r.rep, ends: r.ends, sensitive: r.sensitive, exit: r.exit, cpl0: r.cpl0, iopl: r.iopl, mod: r.mod,
    osize: r.osize, prefixUd: r.prefixUd, noDiff: r.noDiff,
  };
  return row;
}

export const OPCODE_TABLE: readonly OpcodeRow[] = [...ALU, ...SHIFT_BIT, ...CONTROL, ...DATA, ...SYSTEM, ...FPU].map(normalizeRow);

/** A parsed `opcode` string. */
export interface OpcodeForm {
  /** 0: one-byte map, 1: 0F map. */
  readonly map: 0 | 1;
  /** Opcode byte(s) in the map (8 of them for '+r' rows). */
  readonly bytes: readonly number[];
  readonly modrm: boolean;
  /** ModRM reg field that selects this row, or -1 for '/r'. */
  readonly digit: number;
  /** Rows of exact ModRM bytes ('D9 E8', 'D8 C0+i'): the bytes (8 of them for '+i'). */
  readonly modrmBytes?: readonly number[];
}

export function parseOpcode(row: OpcodeRow): OpcodeForm {
  const tokens = row.opcode.split(/\s+/);
  let map: 0 | 1 = 0;
  let i = 0;
  if (tokens[0] === '0F') { map = 1; i = 1; }
  const tok = tokens[i]!;
  let bytes: number[];
  if (tok.endsWith('+r')) {
    const base = parseInt(tok.slice(0, -2), 16);
    bytes = [0, 1, 2, 3, 4, 5, 6, 7].map((r) => base + r);
  } else {
    bytes = [parseInt(tok, 16)];
  }
  if (bytes.some((b) => !(b >= 0 && b <= 255))) throw new Error(`bad opcode ${row.opcode}`);
  let modrm = false;
  let digit = -1;
  let modrmBytes: number[] | undefined;
  for (const t of tokens.slice(i + 1)) {
    if (t === '/r') modrm = true;
    else if (/^\/[0-7]$/.test(t)) { modrm = true; digit = Number(t[1]); }
    else if (/^[0-9A-F]{2}(\+i)?$/.test(t) && !modrm && !modrmBytes) {
      // An exact ModRM byte (register forms only: mod = 11), '+i' for the 8 stack registers.
      const first = parseInt(t.slice(0, 2), 16);
      if (first < 0xc0 || (t.endsWith('+i') && (first & 7) !== 0)) throw new Error(`bad ModRM byte ${t} in ${row.opcode}`);
      modrm = true;
      modrmBytes = t.endsWith('+i') ? [0, 1, 2, 3, 4, 5, 6, 7].map((k) => first + k) : [first];
    } else if (!/^(ib|iw|iz|iv|cb|cd|cp|ob|ov)$/.test(t)) throw new Error(`bad opcode token ${t} in ${row.opcode}`);
  }
  return modrmBytes ? { map, bytes, modrm, digit, modrmBytes } : { map, bytes, modrm, digit };
}

/** Decode entry for one opcode byte of one map. */
export interface DecodeEntry {
  readonly modrm: boolean;
  /** Rows without a ModRM digit ('/r', plain or '+r'). */
  readonly row?: OpcodeRow;
  /** Rows selected by the ModRM reg field: candidates (a mem and a reg row may share a digit). */
  readonly byDigit?: ReadonlyArray<readonly OpcodeRow[]>;
  /** Rows of exact ModRM bytes (register forms), indexed by ModRM - 0xC0; they win over byDigit. */
  readonly byModrm?: ReadonlyArray<OpcodeRow | undefined>;
}

function buildMaps(): [Array<DecodeEntry | undefined>, Array<DecodeEntry | undefined>] {
  const maps: [Array<DecodeEntry | undefined>, Array<DecodeEntry | undefined>] = [new Array(256), new Array(256)];
  // Rows of an exact opcode win over the expansion of a '+r' row (90 NOP over XCHG 90+r).
  const exact = new Set<string>();
  for (const row of OPCODE_TABLE) {
    const f = parseOpcode(row);
    if (f.bytes.length === 1) exact.add(`${f.map}:${f.bytes[0]}`);
  }
  for (const row of OPCODE_TABLE) {
    const f = parseOpcode(row);
    for (const byte of f.bytes) {
      if (f.bytes.length > 1 && exact.has(`${f.map}:${byte}`)) continue;
      const m = maps[f.map];
      const prev = m[byte];
      if (f.modrmBytes) {
        if (prev?.row) throw new Error(`opcode conflict at ${byte.toString(16)}: ${row.mnemonic} vs ${prev.row.mnemonic}`);
        const byModrm = (prev?.byModrm ?? new Array<OpcodeRow | undefined>(64)) as Array<OpcodeRow | undefined>;
        for (const mb of f.modrmBytes) {
          if (byModrm[mb - 0xc0]) throw new Error(`ModRM conflict at ${byte.toString(16)} ${mb.toString(16)}: ${row.mnemonic} vs ${byModrm[mb - 0xc0]!.mnemonic}`);
          byModrm[mb - 0xc0] = row;
        }
        m[byte] = { modrm: true, byModrm, ...(prev?.byDigit ? { byDigit: prev.byDigit } : {}) };
      } else if (f.digit < 0) {
        if (prev) throw new Error(`opcode conflict at ${f.map ? '0F ' : ''}${byte.toString(16)}: ${row.mnemonic} vs ${prev.row?.mnemonic ?? 'group'}`);
        m[byte] = { modrm: f.modrm, row };
      } else {
        if (prev?.row) throw new Error(`opcode conflict at ${byte.toString(16)}: ${row.mnemonic}`);
        const byDigit = (prev?.byDigit ?? Array.from({ length: 8 }, () => [])) as OpcodeRow[][];
        byDigit[f.digit]!.push(row);
        m[byte] = { modrm: true, byDigit, ...(prev?.byModrm ? { byModrm: prev.byModrm } : {}) };
      }
    }
  }
  return maps;
}

export const [ONE_BYTE_MAP, TWO_BYTE_MAP] = buildMaps();
