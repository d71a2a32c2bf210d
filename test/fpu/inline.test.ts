/**
 * The x87 semantics' inline paths (translator/semantics/x87.ts: FLD m64fp,
 * FST(P) m64fp, FLD/FST(P) ST(i), FXCH, FLDZ, FLD1, FCHS, FABS, FNSTSW AX)
 * against the x87 unit's own routines (runtime/fpu, checked against this
 * CPU by the differential suite): the same instruction on the same random
 * state, once through the interpreter (which runs the semantics, and so the
 * inline path where it applies) and once as a direct call of the unit's
 * routine, must leave the same FPU state, memory, AX and fault. The states
 * favour what the inline paths decide on: ties and carries of the
 * rounding to 53 bits, every RC, values at the double range's edges,
 * empty and full stacks, pending exceptions, CR0.TS.
 */
import { describe, expect, it } from 'vitest';
import { CpuState, CR0_NE, CR0_PE, CR0_TS, CODE_RX_ACCESS, DATA_RW_ACCESS } from '../../runtime/cpu.js';
import { CPU_MODELS } from '../../runtime/cpu-model.js';
import { Interpreter } from '../../runtime/interpreter.js';
import { IoBus } from '../../runtime/io-bus.js';
import { PhysicalMemory } from '../../runtime/memory.js';
import { DefaultVmm } from '../../runtime/vmm.js';
import { HELPERS } from '../../runtime/helpers.js';
import { GuestFault } from '../../runtime/exceptions.js';
import { decode } from '../../translator/decoder.js';
import { type Instruction, isFault } from '../../translator/table/types.js';
import { Rng } from '../diff/generate.js';

const CODE = 0x1000, DATA = 0x2ffc, HLT = 0xf4;

/** The instructions under test, each with a memory operand at DATA where it has one. */
const CASES: ReadonlyArray<[string, number[]]> = [
  ['FLD m64fp', [0xdd, 0x05, ...le32(DATA)]],
  ['FST m64fp', [0xdd, 0x15, ...le32(DATA)]],
  ['FSTP m64fp', [0xdd, 0x1d, ...le32(DATA)]],
  ['FLD ST(3)', [0xd9, 0xc3]],
  ['FST ST(2)', [0xdd, 0xd2]],
  ['FSTP ST(1)', [0xdd, 0xd9]],
  ['FSTP ST(0)', [0xdd, 0xd8]],
  ['FXCH ST(1)', [0xd9, 0xc9]],
  ['FXCH ST(5)', [0xd9, 0xcd]],
  ['FLDZ', [0xd9, 0xee]],
  ['FLD1', [0xd9, 0xe8]],
  ['FCHS', [0xd9, 0xe0]],
  ['FABS', [0xd9, 0xe1]],
  ['FNSTSW AX', [0xdf, 0xe0]],
  // 16-bit address size: always the routine (a control for the comparison itself).
  ['FSTP m64fp a16', [0x67, 0xdd, 0x1e, 0xfc, 0x2f]],
];

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

/** A flat 32-bit CPL0 machine with `code` at CODE. */
function machine(code: number[], cr0: number) {
  const mem = new PhysicalMemory(1 << 20);
  const cpu = CpuState.in(mem);
  cpu.reset();
  cpu.cr0 |= CR0_PE | cr0;
  for (let s = 0; s < 6; s++) {
    cpu.setSeg(s, { selector: s === 1 ? 8 : 16, base: 0, limit: 0xffffffff, access: s === 1 ? CODE_RX_ACCESS(0) : DATA_RW_ACCESS(0), big: true, unusable: false });
  }
  cpu.eip = CODE;
  cpu.regs[4] = 0x8000;
  cpu.refreshMode();
  mem.load(CODE, Uint8Array.from([...code, HLT]));
  const vmm = new DefaultVmm(new IoBus(), CPU_MODELS.i686!);
  const interp = new Interpreter(cpu, mem, vmm);
  vmm.attach(interp);
  return { mem, cpu, interp };
}

/** A 64-bit significand (J set) that lands on or near the rounding points of 53 and 24 bits. */
function significand(rng: Rng): bigint {
  const r = BigInt(rng.u32()) << 32n | BigInt(rng.u32());
  const J = 1n << 63n;
  switch (rng.int(6)) {
    case 0: return J | (r & ~0x7ffn) | 0x400n; // a tie at 53 bits (either parity)
    case 1: return J | (r & ~0x7ffn) | BigInt(rng.pick([0x3ff, 0x401, 0x7ff, 0x001]));
    case 2: return (1n << 64n) - 1n - BigInt(rng.int(0x800)); // all ones: the rounding carries into the exponent
    case 3: return J | (r & ~0x7ffn); // exact
    case 4: return J | BigInt(rng.int(0x800));
    default: return J | r;
  }
}

/** A register's sign/exponent word and significand: mostly ordinary values, some of every special kind. */
function register(rng: Rng): [number, bigint] {
  const sign = rng.chance(0.5) ? 0x8000 : 0;
  const r = rng.int(20);
  if (r === 0) return [sign, 0n];
  if (r === 1) return [sign, BigInt(rng.u32())]; // denormal
  if (r === 2) return [sign | 0x7fff, 1n << 63n]; // infinity
  if (r === 3) return [sign | 0x7fff, (3n << 62n) | BigInt(rng.u32())]; // QNaN
  if (r === 4) return [sign | (1 + rng.int(0x7ffe)), BigInt(rng.u32())]; // unnormal
  // Around the double range's ends, or anywhere in it.
  const exp = r < 9 ? rng.pick([0x3fff - 1023, 0x3fff - 1022, 0x3fff - 1021, 0x3fff + 1023, 0x3fff + 1022, 0x3fff + 1024]) : 0x3fff + rng.int(200) - 100;
  return [sign | exp, significand(rng)];
}

/** A double's bits in memory: mostly normal, some zeros, denormals, infinities and NaNs. */
function memoryDouble(rng: Rng): [number, number] {
  const r = rng.int(12);
  const sign = rng.chance(0.5) ? 0x80000000 : 0;
  const frac = rng.u32() & 0xfffff, lo = rng.u32();
  if (r === 0) return [0, sign];
  if (r === 1) return [lo, sign | frac]; // denormal
  if (r === 2) return [rng.chance(0.5) ? 0 : lo, sign | 0x7ff00000 | (rng.chance(0.5) ? 0 : frac)]; // infinity or NaN
  const exp = r === 3 ? rng.pick([1, 2, 0x7fe]) : 1023 + rng.int(100) - 50;
  return [lo, (sign | (exp << 20) | frac) >>> 0];
}

interface Start {
  cw: number; sw: number; top: number; empty: number; regs: Array<[number, bigint]>; mem: [number, number]; cr0: number;
}

function start(rng: Rng): Start {
  let masks = rng.chance(0.85) ? 0x3f : rng.u32() & 0x3f;
  // Flags: none or masked ones, and one time in ten an unmasked one (pending).
  let flags = rng.chance(0.5) ? 0 : rng.u32() & masks & 0x3f;
  if (rng.chance(0.1)) {
    const bit = 1 << rng.int(6);
    masks &= ~bit;
    flags |= bit;
  }
  const cw = masks | (rng.pick([3, 2, 0]) << 8) | (rng.int(4) << 10) | 0x40;
  const sw = flags | (rng.u32() & 0x4700);
  const empty = rng.pick([0, 0xff, rng.u32() & 0xff, rng.u32() & rng.u32() & 0xff]);
  return {
    cw, sw, top: rng.int(8), empty,
    regs: Array.from({ length: 8 }, () => register(rng)),
    mem: memoryDouble(rng),
    cr0: rng.chance(0.05) ? CR0_TS : 0,
  };
}

interface Outcome { fault: number; words: number[]; sig: bigint[]; sexp: number[]; mem: number[]; ax: number }

type Machine = ReturnType<typeof machine>;

/** Put a machine (made once per instruction: its memory is large) in the start state. */
function prepare(m: Machine, s: Start): Machine {
  m.cpu.cr0 = CR0_PE | CR0_NE | s.cr0;
  m.cpu.eip = CODE;
  const f = m.cpu.fpu;
  f.cw = s.cw; f.sw = s.sw; f.top = s.top; f.empty = s.empty;
  f.fip = f.fcs = f.fop = f.fdp = f.fds = 0;
  s.regs.forEach(([se, sig], p) => { f.sexp[p] = se; f.sig[p] = sig; });
  m.mem.write32(DATA, s.mem[0]);
  m.mem.write32(DATA + 4, s.mem[1]);
  m.cpu.regs[0] = 0x12345678;
  return m;
}

function outcome(m: Machine, fault: number): Outcome {
  const f = m.cpu.fpu;
  return {
    fault,
    words: [...f.words],
    sig: [...f.sig],
    sexp: [...f.sexp],
    mem: [m.mem.read32(DATA), m.mem.read32(DATA + 4)],
    ax: m.cpu.regs[0]!,
  };
}

/** Through the interpreter: the semantics, with their inline paths. */
function throughSemantics(m: Machine, s: Start): Outcome {
  prepare(m, s);
  const exit = m.interp.run(1) as { fault?: { vector: number } };
  return outcome(m, exit.fault ? exit.fault.vector : -1);
}

/** A direct call of the unit's routine for the instruction. */
function throughRoutine(m: Machine, s: Start): Outcome {
  prepare(m, s);
  const r = decode((k) => m.mem.read8(CODE + k), CODE, true);
  if (isFault(r)) throw new Error('does not decode');
  const insn = r as Instruction;
  const b = m.interp.backend;
  b.begin(insn);
  let fault = -1;
  try {
    HELPERS[`x87.${insn.row.sem}`]!(b, insn);
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    fault = e.vector;
  }
  return outcome(m, fault);
}

describe('x87 inline paths', () => {
  for (const [name, code] of CASES) {
    it(`${name}: the same state as the x87 unit's routine`, () => {
      const rng = new Rng(0x87 + code.reduce((a, x) => a * 31 + x, 0));
      const m = machine(code, CR0_NE);
      for (let n = 0; n < 3000; n++) {
        const s = start(rng);
        const want = throughRoutine(m, s);
        const got = throughSemantics(m, s);
        if (JSON.stringify(got, big) !== JSON.stringify(want, big)) {
          expect({ start: JSON.stringify(s, big), got: JSON.stringify(got, big) }).toEqual({ start: JSON.stringify(s, big), got: JSON.stringify(want, big) });
        }
      }
    });
  }
});

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString(16) : v;
}
