/**
 * The privilege pre-checks made before an instruction runs (the opcode
 * table's cpl0 and iopl attributes): CPL 0 instructions, CLI/STI against
 * IOPL, port I/O against IOPL and the TSS I/O permission bitmap (SDM vol.
 * 1, 19.5), and virtual-8086 mode (vol. 3, 20.2); POPF's silent IF rule.
 */
import { describe, expect, it } from 'vitest';
import { CR0_PE } from '../../../runtime/cpu.js';
import { Vector } from '../../../runtime/exceptions.js';
import { Seg } from '../../../translator/table/types.js';
import { CODE, faultOf, IO_MAP, type Machine, machine, start, TSS } from './transfer-harness.js';

const GP = Vector.GP;
const IF = 0x200, IOPL3 = 0x3000, VM = 0x20000;

/** Deny `port` in the TSS I/O bitmap. */
const deny = (m: Machine, port: number): void => {
  const at = TSS + IO_MAP + (port >>> 3);
  m.mem.write8(at, m.r8(at) | (1 << (port & 7)));
};

/** Run one instruction and return its fault, or null. */
function step(m: Machine): { vector: number; errorCode: number } | null {
  const exit = m.interp.stepExit();
  return exit?.fault ? faultOf(exit.fault) : null;
}

function v86(m: Machine, iopl: number): void {
  const cpu = m.cpu;
  cpu.flags = (cpu.flags & ~IOPL3) | VM | (iopl << 12);
  cpu.cpl = 3;
  for (let s = 0; s < 6; s++) cpu.setSeg(s, { selector: 0, base: 0, limit: 0xffff, access: 0xf3, big: false, unusable: false });
  cpu.regs[4] = 0x8000;
  cpu.refreshMode();
}

describe('CLI and STI', () => {
  it('are #GP(0) at CPL 3 with IOPL < 3 and allowed with IOPL 3', () => {
    const m = machine(3);
    start(m, 'cli');
    expect(step(m)).toEqual({ vector: GP, errorCode: 0 });
    m.cpu.flags |= IOPL3 | IF;
    expect(step(m)).toBeNull();
    expect(m.cpu.flags & IF).toBe(0);
  });

  it('in real mode check nothing', () => {
    const m = machine(0);
    m.cpu.cr0 &= ~CR0_PE;
    m.cpu.cpl = 0;
    m.cpu.refreshMode();
    start(m, 'sti', 16);
    expect(step(m)).toBeNull();
  });
});

describe('port I/O', () => {
  it('at CPL > IOPL consults the I/O bitmap: clear bits allow, a set bit is #GP(0)', () => {
    const m = machine(3);
    start(m, 'in al, 0x60\nmov dx, 0x3f8\nout dx, al\nin al, 0x64');
    deny(m, 0x64);
    expect(step(m)).toBeNull();
    expect(step(m)).toBeNull();
    expect(step(m)).toBeNull();
    expect(step(m)).toEqual({ vector: GP, errorCode: 0 });
    expect(m.cpu.eip).toBe(CODE + 2 + 4 + 1);
  });

  it('checks every port of a word or dword access, across a byte of the bitmap', () => {
    const m = machine(3);
    deny(m, 0x3f8);
    start(m, 'mov dx, 0x3f6\nin ax, dx\nmov dx, 0x3f7\nin ax, dx');
    expect(step(m)).toBeNull();
    expect(step(m)).toBeNull();
    expect(step(m)).toBeNull();
    expect(step(m)).toEqual({ vector: GP, errorCode: 0 });
  });

  it('is #GP(0) when the bitmap bytes lie past the TSS limit, or the TSS is 16-bit', () => {
    const m = machine(3);
    m.cpu.tr = { ...m.cpu.tr, limit: IO_MAP + (0x60 >>> 3) };
    start(m, 'in al, 0x58\nin al, 0x60');
    expect(step(m)).toBeNull();
    expect(step(m)).toEqual({ vector: GP, errorCode: 0 });
    const n = machine(3);
    n.cpu.tr = { ...n.cpu.tr, access: 0x83 };
    start(n, 'in al, 0x60');
    expect(step(n)).toEqual({ vector: GP, errorCode: 0 });
  });

  it('needs no bitmap at CPL ≤ IOPL', () => {
    const m = machine(3);
    m.cpu.flags |= IOPL3;
    deny(m, 0x60);
    start(m, 'in al, 0x60');
    expect(step(m)).toBeNull();
  });

  it('REP INS and REP OUTS are checked even with a zero count (as the host CPU does at CPL 3)', () => {
    const m = machine(3);
    deny(m, 0x60);
    m.cpu.regs[2] = 0x60;
    m.cpu.regs[1] = 0;
    m.cpu.regs[7] = 0x9000;
    start(m, 'rep insb');
    expect(step(m)).toEqual({ vector: GP, errorCode: 0 });
    start(m, 'rep outsw');
    expect(step(m)).toEqual({ vector: GP, errorCode: 0 });
    m.cpu.regs[2] = 0x62;
    expect(step(m)).toBeNull();
    expect(m.cpu.regs[1]).toBe(0);
  });

  it('in virtual-8086 mode always consults the bitmap, even with IOPL 3', () => {
    const m = machine(0);
    v86(m, 3);
    deny(m, 0x61);
    start(m, 'in al, 0x60\nin al, 0x61', 16);
    expect(step(m)).toBeNull();
    expect(step(m)).toEqual({ vector: GP, errorCode: 0 });
  });
});

describe('CPL-0 instructions', () => {
  it('are #GP(0) at CPL 3 and in virtual-8086 mode, except LLDT and LTR, which are #UD in virtual-8086 mode', () => {
    const m = machine(3);
    start(m, 'mov eax, cr0');
    expect(step(m)).toEqual({ vector: GP, errorCode: 0 });
    const n = machine(0);
    v86(n, 3);
    start(n, 'hlt', 16);
    expect(step(n)).toEqual({ vector: GP, errorCode: 0 });
    start(n, 'lldt ax', 16);
    expect(step(n)).toEqual({ vector: Vector.UD, errorCode: 0 });
  });
});

describe('POPF', () => {
  it('at CPL > IOPL leaves IF (and IOPL) unchanged without faulting', () => {
    const m = machine(3);
    m.cpu.flags |= IF;
    start(m, `push ${IOPL3 | 0x8d5 | 2}\npopfd`);
    expect(step(m)).toBeNull();
    expect(step(m)).toBeNull();
    expect(m.cpu.flags & (IF | IOPL3 | 0x8d5)).toBe(IF | 0x8d5);
    expect(m.cpu.segs[Seg.CS]!.selector & 3).toBe(3);
  });
});
