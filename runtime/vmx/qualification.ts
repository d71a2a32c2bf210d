/**
 * Exit qualifications and VM-exit instruction information, bit for bit as
 * SDM vol. 3C, 27.2.1 and 27.2.4 define them (tables 27-2 to 27-5 and
 * 27-8, 27-10, 27-11). Bits the SDM leaves undefined are 0 here; there are
 * no 64-bit registers, so register fields hold 0-7.
 */
import type { MemOperand, Operand } from '../../translator/table/types.js';

/** Access type of a control-register access (table 27-3, bits 5:4). */
export const enum CrAccessType { MovToCr = 0, MovFromCr = 1, Clts = 2, Lmsw = 3 }

/**
 * Control-register access (table 27-3): CR number (3:0; 0 for CLTS and
 * LMSW), access type (5:4), LMSW operand type (6: 1 = memory), general
 * register of MOV CR (11:8), LMSW source data (31:16).
 */
export function crAccessQualification(q: {
  cr: number;
  type: CrAccessType;
  gpr?: number;
  lmswMemory?: boolean;
  lmswSource?: number;
}): number {
  return ((q.cr & 0xf) | (q.type << 4) | (q.lmswMemory ? 1 << 6 : 0) | ((q.gpr ?? 0) << 8) | ((q.lmswSource ?? 0) << 16)) | 0;
}

/** MOV DR (table 27-4): debug register (2:0), direction (4: 1 = MOV from DR), general register (11:8). */
export function movDrQualification(dr: number, fromDr: boolean, gpr: number): number {
  return (dr & 7) | (fromDr ? 1 << 4 : 0) | ((gpr & 0xf) << 8);
}

/** An I/O instruction as table 27-5 describes it. */
export interface IoAccess {
  readonly port: number;
  readonly size: 1 | 2 | 4;
  /** IN or INS. */
  readonly input: boolean;
  /** INS or OUTS. */
  readonly string: boolean;
  readonly rep: boolean;
  /** The port is an immediate operand (else DX). */
  readonly immediate: boolean;
}

/** I/O instruction (table 27-5): size - 1 (2:0), direction (3: 1 = IN), string (4), REP (5), immediate (6), port (31:16). */
export function ioQualification(a: IoAccess): number {
  return ((a.size - 1) | (a.input ? 1 << 3 : 0) | (a.string ? 1 << 4 : 0) | (a.rep ? 1 << 5 : 0) | (a.immediate ? 1 << 6 : 0) | ((a.port & 0xffff) << 16)) | 0;
}

/** The parts of an I/O qualification. */
export function decodeIoQualification(q: number): IoAccess {
  return {
    size: ((q & 7) + 1) as 1 | 2 | 4,
    input: (q & (1 << 3)) !== 0,
    string: (q & (1 << 4)) !== 0,
    rep: (q & (1 << 5)) !== 0,
    immediate: (q & (1 << 6)) !== 0,
    port: q >>> 16,
  };
}

/** What started a task switch (table 27-2, bits 31:30). */
export const enum TaskSwitchSource { Call = 0, Iret = 1, Jmp = 2, IdtTaskGate = 3 }

/** Task switch (table 27-2): the new TSS selector (15:0) and the source (31:30). */
export function taskSwitchQualification(selector: number, source: TaskSwitchSource): number {
  return ((selector & 0xffff) | (source << 30)) | 0;
}

/** Address-size field of the instruction-information formats: 0 = 16-bit, 1 = 32-bit. */
function addressSize(m: MemOperand): number {
  return m.adsize === 4 ? 1 : 0;
}

/**
 * The memory-operand fields shared by tables 27-10 and 27-11: scaling
 * (1:0), address size (9:7), segment (17:15), index register (21:18) and
 * its invalid bit (22), base register (26:23) and its invalid bit (27).
 */
function memoryFields(m: MemOperand): number {
  const index = m.index >= 0 ? m.scale | (m.index << 18) : 1 << 22;
  const base = m.base >= 0 ? m.base << 23 : 1 << 27;
  return index | (addressSize(m) << 7) | (m.seg << 15) | base;
}

/** Instruction identity of LGDT/LIDT/SGDT/SIDT (table 27-10, bits 29:28). */
export const enum DescriptorTableIdentity { Sgdt = 0, Sidt = 1, Lgdt = 2, Lidt = 3 }
/** Instruction identity of LLDT/LTR/SLDT/STR (table 27-11, bits 29:28). */
export const enum LdtrTrIdentity { Sldt = 0, Str = 1, Lldt = 2, Ltr = 3 }

/** Instruction information for LIDT, LGDT, SIDT, SGDT (table 27-10): memory fields, operand size (11: 1 = 32-bit), identity. */
export function descriptorTableInfo(identity: DescriptorTableIdentity, m: MemOperand, opsize: 2 | 4): number {
  return (memoryFields(m) | (opsize === 4 ? 1 << 11 : 0) | (identity << 28)) | 0;
}

/** Instruction information for LLDT, LTR, SLDT, STR (table 27-11): a register (Reg1 6:3, bit 10) or the memory fields. */
export function ldtrTrInfo(identity: LdtrTrIdentity, operand: Operand): number {
  const fields = operand.kind === 'mem' ? memoryFields(operand) : operand.kind === 'reg' ? (operand.reg << 3) | (1 << 10) : 0;
  return (fields | (identity << 28)) | 0;
}

/** Instruction information for INS and OUTS (table 27-8): address size (9:7); segment (17:15) for OUTS. */
export function insOutsInfo(m: MemOperand, outs: boolean): number {
  return (addressSize(m) << 7) | (outs ? m.seg << 15 : 0);
}

/**
 * The displacement an exit qualification reports for the descriptor-table
 * instructions (27.2.1): sign-extended to 32 bits (a 16-bit address size's
 * disp16 too); 0 for a register operand.
 */
export function displacementQualification(operand: Operand): number {
  if (operand.kind !== 'mem') return 0;
  return operand.adsize === 2 ? (operand.disp << 16) >> 16 : operand.disp | 0;
}
