/**
 * Flag liveness (translator/emit/liveness.ts): what instructions read and
 * overwrite of the arithmetic flags, found by running their semantics on
 * the recording backend, checked against the SDM's flag tables; and the
 * two liveness facts of a small region.
 *
 *   npx vitest run test/jit/liveness.test.ts
 */
import { describe, expect, it } from 'vitest';
import { decode } from '../../translator/decoder.js';
import { flagUse, regionLiveness } from '../../translator/emit/liveness.js';
import { formRegion } from '../../translator/emit/region.js';
import { type Instruction, isFault } from '../../translator/table/types.js';

const MODE = { code32: true, stack32: true, cpl: 0, protectedMode: true, v86: false } as const;
const [CF, PF, AF, ZF, SF, OF] = [0x1, 0x4, 0x10, 0x40, 0x80, 0x800];
const ALL = CF | PF | AF | ZF | SF | OF;

function insn(...bytes: number[]): Instruction {
  const r = decode((k) => bytes[k] ?? 0x90, 0x1000, true);
  if (isFault(r)) throw new Error(`${bytes} does not decode`);
  return r;
}

describe('flag use of single instructions', () => {
  const cases: ReadonlyArray<[string, number[], { reads: number; kills: number; mayExit: boolean; keepsCarry?: boolean }]> = [
    ['ADD EAX, EBX: writes all six, reads none', [0x01, 0xd8], { reads: 0, kills: ALL, mayExit: false }],
    ['ADC EAX, EBX: reads CF', [0x11, 0xd8], { reads: CF, kills: ALL, mayExit: false }],
    ['INC EAX: all but CF, and keeps CF', [0x40], { reads: 0, kills: ALL & ~CF, mayExit: false, keepsCarry: true }],
    ['JB: reads CF only (and may fault on the CS limit)', [0x72, 0x00], { reads: CF, kills: 0, mayExit: true }],
    ['JLE: reads ZF, SF, OF', [0x7e, 0x00], { reads: ZF | SF | OF, kills: 0, mayExit: true }],
    ['SHL EAX, CL: a count of 0 writes nothing, so nothing is killed', [0xd3, 0xe0], { reads: 0, kills: 0, mayExit: false }],
    ['SHL EAX, 1: writes all six', [0xd1, 0xe0], { reads: 0, kills: ALL, mayExit: false }],
    ['MOV EAX, [EBX]: no flags, may fault', [0x8b, 0x03], { reads: 0, kills: 0, mayExit: true }],
    ['ROL EAX, 3: CF and OF', [0xc1, 0xc0, 0x03], { reads: 0, kills: CF | OF, mayExit: false }],
    ['CMC: reads and writes CF', [0xf5], { reads: CF, kills: CF, mayExit: false }],
    ['LAHF: reads the EFLAGS word whole (OF too: an over-approximation)', [0x9f], { reads: ALL, kills: 0, mayExit: false }],
    ['REPE CMPSB: its own ZF write is conditional, so ZF counts as read', [0xf3, 0xa6], { reads: ZF, kills: 0, mayExit: true }],
    ['DIV ECX: may raise #DE', [0xf7, 0xf1], { reads: 0, kills: 0, mayExit: true }],
  ];
  for (const [name, bytes, want] of cases) {
    it(name, () => {
      const u = flagUse(insn(...bytes), MODE);
      expect({ reads: u.reads, kills: u.kills & want.kills, mayExit: u.mayExit }).toEqual({ reads: want.reads, kills: want.kills, mayExit: want.mayExit });
      if (want.keepsCarry !== undefined) expect(u.keepsCarry).toBe(want.keepsCarry);
    });
  }
});

describe('region liveness', () => {
  // 0: cmp eax, ebx ; jb 8        (block A: CF read by the JB)
  // 4: inc ecx ; add edx, [esi]   (block B: INC keeps CF, but the ADD's load may fault first)
  // 8: adc edi, 0 ; ret           (block C: reads CF)
  const bytes = [0x39, 0xd8, 0x72, 0x04, 0x41, 0x03, 0x16, 0x90, 0x83, 0xd7, 0x00, 0xc3];
  const region = formRegion((e) => (e < bytes.length ? bytes[e]! : -1), 0, true)!;
  const live = regionLiveness(region, MODE);

  it('a block that reads CF first has CF live on entry; one that overwrites everything first has nothing', () => {
    expect(live.liveIn.get(8)! & CF).toBe(CF);
    expect(live.liveIn.get(0)).toBe(0);
  });

  it('flags are live after the JB where a successor reads them', () => {
    const after = live.liveAfter.get(0)!;
    expect(after[1]! & CF).toBe(CF);
    expect(after[0]! & CF).toBe(CF);
  });

  it('every flag is observable before an instruction that may fault, and after the last of a block', () => {
    const obs = live.observableAfter.get(4)!;
    expect(obs[0]).toBe(ALL); // after INC, the ADD's load may fault: all of them
    expect(obs[obs.length - 1]).toBe(ALL);
  });
});
