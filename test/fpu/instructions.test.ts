/**
 * The x87 and MMX instructions on a small flat machine, where the
 * differential harness cannot go (its cases run at CPL 3 with a fixed
 * CR0): the #NM, #UD and #MF gates under CR0.EM/TS/MP/NE, FERR# with
 * CR0.NE = 0, the real-mode environment layout, FXSAVE alignment, and the
 * fast strategy against the exact one.
 */
import { describe, expect, it } from 'vitest';
import { CpuState, CR0_EM, CR0_MP, CR0_NE, CR0_PE, CR0_TS, CODE_RX_ACCESS, DATA_RW_ACCESS } from '../../runtime/cpu.js';
import { CPU_MODELS } from '../../runtime/cpu-model.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { Interpreter } from '../../runtime/interpreter.js';
import { IoBus } from '../../runtime/io-bus.js';
import { PhysicalMemory } from '../../runtime/memory.js';
import { DefaultVmm } from '../../runtime/vmm.js';
import { Vector } from '../../runtime/exceptions.js';

/** A flat 32-bit CPL0 machine with `code` at 0x1000, the FPU initialised (FNINIT). */
function machine(code: number[], opts: { real?: boolean; cr0?: number } = {}) {
  const mem = new PhysicalMemory(1 << 20);
  const cpu = CpuState.in(mem);
  cpu.reset();
  if (!opts.real) {
    cpu.cr0 |= CR0_PE;
    for (let s = 0; s < 6; s++) {
      cpu.setSeg(s, { selector: s === 1 ? 8 : 16, base: 0, limit: 0xffffffff, access: s === 1 ? CODE_RX_ACCESS(0) : DATA_RW_ACCESS(0), big: true, unusable: false });
    }
  } else {
    for (let s = 0; s < 6; s++) cpu.setSeg(s, { ...cpu.segs[s]!, selector: 0, base: 0 });
  }
  cpu.cr0 |= opts.cr0 ?? CR0_NE;
  cpu.eip = 0x1000;
  cpu.regs[4] = 0x8000;
  cpu.fpu.init();
  cpu.refreshMode();
  mem.load(0x1000, Uint8Array.from(code));
  const vmm = new DefaultVmm(new IoBus(), CPU_MODELS.i686!);
  const interp = new Interpreter(cpu, mem, vmm);
  vmm.attach(interp);
  return { mem, cpu, interp };
}

const FLD1 = [0xd9, 0xe8], HLT = [0xf4];

/** Run to HLT or a fault: the exit's vector (−1 for HLT) and EIP. */
function run(m: ReturnType<typeof machine>): { vector: number; eip: number } {
  const exit = m.interp.run(1000);
  if (exit.reason === ExitReason.Hlt) return { vector: -1, eip: m.cpu.eip };
  return { vector: (exit as { fault: { vector: number } }).fault.vector, eip: m.cpu.eip };
}

describe('device-not-available and math-fault gates', () => {
  it('raises #NM for x87 instructions under CR0.EM or CR0.TS, #UD for MMX under EM', () => {
    expect(run(machine([...FLD1, ...HLT], { cr0: CR0_EM })).vector).toBe(Vector.NM);
    expect(run(machine([...FLD1, ...HLT], { cr0: CR0_TS })).vector).toBe(Vector.NM);
    expect(run(machine([0x0f, 0xfe, 0xc1, ...HLT], { cr0: CR0_EM })).vector).toBe(Vector.UD); // PADDD
    expect(run(machine([0x0f, 0xfe, 0xc1, ...HLT], { cr0: CR0_TS })).vector).toBe(Vector.NM);
    expect(run(machine([0x0f, 0xae, 0x05, 0, 0x20, 0, 0, ...HLT], { cr0: CR0_EM })).vector).toBe(Vector.NM); // FXSAVE
  });

  it('raises #NM for FWAIT only when CR0.MP and CR0.TS are both set', () => {
    expect(run(machine([0x9b, ...HLT], { cr0: CR0_TS })).vector).toBe(-1);
    expect(run(machine([0x9b, ...HLT], { cr0: CR0_TS | CR0_MP })).vector).toBe(Vector.NM);
    expect(run(machine([0x9b, ...HLT], { cr0: CR0_EM })).vector).toBe(-1);
  });

  it('signals a pending unmasked exception at the next waiting instruction: #MF with CR0.NE', () => {
    // FLDCW [0x2000] (IE unmasked), FLD1, FLD1 (ST(1) valid), FXCH ST(3) (empty: IE pending), FNOP.
    const m = machine([0xd9, 0x2d, 0, 0x20, 0, 0, ...FLD1, 0xd9, 0xcb, 0xd9, 0xd0, ...HLT]);
    m.mem.write16(0x2000, 0x037e);
    const r = run(m);
    expect(r).toEqual({ vector: Vector.MF, eip: 0x1000 + 6 + 2 + 2 });
    expect(m.cpu.fpu.statusWord() & 0x80).toBe(0x80); // ES
    expect(m.cpu.fpu.fip).toBe(0x1000 + 8); // the FXCH that raised it
    // The no-wait forms go through: FNSTSW AX, FNCLEX; then FNOP runs.
    m.cpu.eip = 0x1000;
    m.mem.load(0x1000, Uint8Array.from([0xdf, 0xe0, 0xdb, 0xe2, 0xd9, 0xd0, ...HLT]));
    expect(run(m).vector).toBe(-1);
    expect(m.cpu.regs[0]! & 0x81).toBe(0x81);
  });

  it('leaves the legacy path to the interrupt controller with CR0.NE = 0: FERR# is set, the instruction runs', () => {
    const m = machine([0xd9, 0x2d, 0, 0x20, 0, 0, 0xd9, 0xc9, 0xd9, 0xd0, ...HLT], { cr0: 0 });
    m.mem.write16(0x2000, 0x037e);
    expect(run(m).vector).toBe(-1);
    expect(m.cpu.fpu.ferr).toBe(true);
    expect(m.cpu.fpu.pending).toBe(true);
  });
});

describe('images', () => {
  it('stores the real-mode environment with 20-bit linear pointers', () => {
    // In real mode at CS:IP 0000:1000: FLD qword [0x2000]; FNSTENV [0x3000] (16-bit layout).
    const m = machine([0xdd, 0x06, 0x00, 0x20, 0xd9, 0x36, 0x00, 0x30, ...HLT], { real: true });
    m.mem.load(0x2000, new Uint8Array(new Float64Array([2.5]).buffer));
    expect(run(m).vector).toBe(-1);
    const w = (k: number) => m.mem.read16(0x3000 + k);
    expect(w(0)).toBe(0x037f);
    expect((w(2) >> 11) & 7).toBe(7);
    expect(w(4)).toBe(0x3fff); // R7 valid, the rest empty
    expect(w(6)).toBe(0x1000); // FIP[15:0]
    expect(w(8)).toBe((0 << 12) | 0x506); // FIP[19:16], FOP (DD /0 with ModRM 06)
    expect(w(10)).toBe(0x2000); // FDP[15:0]
    expect(m.cpu.fpu.cw & 0x3f).toBe(0x3f); // FNSTENV masks everything
  });

  it('saves and restores the 32-bit real-mode image (FNSAVE, FRSTOR)', () => {
    // Real mode: FLD1; FLDPI; 66 FNSAVE [0x3000]; 66 FRSTOR [0x3000]; HLT.
    const m = machine([...FLD1, 0xd9, 0xeb, 0x66, 0xdd, 0x36, 0x00, 0x30, 0x66, 0xdd, 0x26, 0x00, 0x30, ...HLT], { real: true });
    expect(run(m).vector).toBe(-1);
    const d = (k: number) => m.mem.read32(0x3000 + k);
    expect(d(0) & 0xffff).toBe(0x037f);
    expect(d(8) & 0xffff).toBe(0x0fff); // R7, R6 valid
    expect(d(12) & 0xffff).toBe(0x1002); // FIP[15:0] of FLDPI
    expect(d(16)).toBe((0 << 12) | 0x1eb); // FIP[31:16] << 12 | FOP
    expect(m.mem.read16(0x3000 + 28 + 8)).toBe(0x4000); // ST(0) = π: exponent word
    const f = m.cpu.fpu; // FRSTOR brought the stack back after FNSAVE's FNINIT
    expect(f.top).toBe(6);
    expect(f.empty).toBe(0x3f);
    expect(f.sig[6]).toBe(0xc90fdaa22168c235n);
  });

  it('faults on an FXRSTOR/FXSAVE area that starts beyond its segment limit before checking its alignment (#SS for SS)', () => {
    // FXRSTOR ss:[0x12001] and FXSAVE ss:[0x12001] with SS limited to 64 KiB: misaligned and out of the segment.
    // The host raises #SS for FXRSTOR (npm run diff -- --seed 7 --cases 2000 --filter FXRSTOR found it); the
    // diff generator makes no such FXSAVE case, which is given the same order.
    for (const reg of [0x0d, 0x05]) {
      const m = machine([0x36, 0x0f, 0xae, reg, 0x01, 0x20, 0x01, 0x00, ...HLT]);
      m.cpu.setSeg(2, { ...m.cpu.segs[2]!, limit: 0xffff });
      expect(run(m).vector).toBe(Vector.SS);
    }
    // Within the segment, the misaligned area is #GP(0).
    const m = machine([0x36, 0x0f, 0xae, 0x0d, 0x01, 0x20, 0x00, 0x00, ...HLT]);
    m.cpu.setSeg(2, { ...m.cpu.segs[2]!, limit: 0xffff });
    expect(run(m).vector).toBe(Vector.GP);
  });

  it('requires a 16-byte aligned FXSAVE area', () => {
    expect(run(machine([0x0f, 0xae, 0x05, 0x08, 0x20, 0, 0, ...HLT])).vector).toBe(Vector.GP);
    const m = machine([...FLD1, 0x0f, 0xae, 0x05, 0x00, 0x20, 0, 0, ...HLT]);
    expect(run(m).vector).toBe(-1);
    expect(m.mem.read16(0x2000)).toBe(0x037f);
    expect(m.mem.read8(0x2004)).toBe(0x80); // abridged tags: R7 in use
    expect(m.mem.read32(0x2018)).toBe(0x1f80); // MXCSR
  });
});

describe('MMX on the x87 registers', () => {
  it('sets TOP to 0 and every tag valid, writes the exponent all ones, and EMMS empties the stack', () => {
    // FLD1 (TOP 7), MOVD MM1, EAX, PADDD MM1, MM1, then EMMS.
    const m = machine([...FLD1, 0x0f, 0x6e, 0xc8, 0x0f, 0xfe, 0xc9, ...HLT]);
    m.cpu.regs[0] = 21;
    expect(run(m).vector).toBe(-1);
    const f = m.cpu.fpu;
    expect(f.top).toBe(0);
    expect(f.empty).toBe(0);
    expect(f.sig[1]).toBe(42n);
    expect(f.sexp[1]).toBe(0xffff);
    const e = machine([0x0f, 0x77, ...HLT]);
    expect(run(e).vector).toBe(-1);
    expect(e.cpu.fpu.empty).toBe(0xff);
  });
});

describe('the fast strategy', () => {
  /** Horner's rule for a polynomial in double precision control: the same bits in both strategies. */
  const program = [
    0xd9, 0x2d, 0x00, 0x30, 0, 0, //  FLDCW [0x3000] (PC 53)
    0xdd, 0x05, 0x00, 0x20, 0, 0, //  FLD qword [0x2000]      x
    0xd9, 0xe8, //                    FLD1                    acc = 1
    0xd8, 0xc9, //                    FMUL ST(0), ST(1)       acc·x
    0xdc, 0x05, 0x08, 0x20, 0, 0, //  FADD qword [0x2008]     + c
    0xd8, 0xc9, //                    FMUL ST(0), ST(1)
    0xdc, 0x35, 0x10, 0x20, 0, 0, //  FDIV qword [0x2010]     / d
    0xd9, 0xfa, //                    FSQRT
    0xdd, 0x1d, 0x18, 0x20, 0, 0, //  FSTP qword [0x2018]
    ...HLT,
  ];
  function result(strategy: 'exact' | 'fast', pc: number): { value: number; sw: number } {
    const m = machine(program);
    m.cpu.fpu.strategy = strategy;
    m.mem.write16(0x3000, 0x007f | (pc << 8));
    m.mem.load(0x2000, new Uint8Array(new Float64Array([1.1, 0.3, 7.7]).buffer));
    expect(run(m).vector).toBe(-1);
    return { value: new Float64Array(m.mem.u8.slice(0x2018, 0x2020).buffer)[0]!, sw: m.cpu.fpu.statusWord() };
  }
  it('gives the exact results and flags under PC = 53', () => {
    expect(result('fast', 2)).toEqual(result('exact', 2));
  });
  it('rounds to 53 bits under PC = 64, where the exact unit keeps 64 (the documented difference)', () => {
    const fast = result('fast', 3), exact = result('exact', 3);
    expect(Math.abs(fast.value - exact.value)).toBeLessThan(1e-15);
  });
});
