/**
 * Architectural exceptions (Intel SDM vol. 3, table 6-1) and the single
 * mechanism through which every tier raises them.
 *
 * A guest fault is never a host error: tiers throw `GuestFault`, and the
 * run loop turns it into event delivery (or, in the differential harness,
 * into the reported exception).
 */

export const enum Vector {
  DE = 0, // divide error
  DB = 1,
  NMI = 2,
  BP = 3, // INT3
  OF = 4, // INTO
  BR = 5, // BOUND range exceeded
  UD = 6, // invalid opcode
  NM = 7, // device not available
  DF = 8, // double fault
  TS = 10,
  NP = 11,
  SS = 12,
  GP = 13,
  PF = 14,
  MF = 16,
  AC = 17,
  MC = 18,
  XM = 19,
}

export const VECTOR_NAMES: Readonly<Record<number, string>> = {
  0: '#DE', 1: '#DB', 2: 'NMI', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM',
  8: '#DF', 10: '#TS', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF',
  17: '#AC', 18: '#MC', 19: '#XM',
};

/** Vectors that push an error code (SDM vol. 3, 6.13). */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

/** A fault raised by guest execution; carries what the CPU would report. */
export class GuestFault extends Error {
  constructor(
    readonly vector: number,
    readonly errorCode: number = 0,
    /** For #PF: the faulting linear address (CR2). */
    readonly cr2: number = 0,
    /** A trap-class event (INT3, INTO, INT n): the saved EIP is the next instruction's. */
    readonly trap: boolean = false,
  ) {
    super(`${VECTOR_NAMES[vector] ?? `vector ${vector}`}${hasErrorCode(vector) ? `(${errorCode.toString(16)})` : ''}`);
  }
}

/** #PF error-code bits (SDM vol. 3, 4.7). */
export const PF_PRESENT = 1;
export const PF_WRITE = 2;
export const PF_USER = 4;
export const PF_RSVD = 8;
export const PF_FETCH = 16;
