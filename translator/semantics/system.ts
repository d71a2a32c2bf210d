/**
 * Semantics of sensitive and system instructions. In the binary-translation
 * design these become hypervisor calls: the runtime gives them the
 * semantics of VT-x exits (runtime/vmm).
 *
 * INLINE_SEMANTICS are the cheap sensitive instructions as translated code
 * runs them itself under the 'inline' rewriting strategy (JitStrategy.
 * sensitive), acting on the virtual CPU and leaving for the VMM only when
 * it must act. What they do when they do not leave is what the VMM's
 * emulation does (runtime/system/basic-ops.ts); when they leave, nothing
 * of the instruction has happened and the trap path runs it (faults, the
 * I/O-permission bitmap, exits the embedder takes).
 */
import { type Backend, Flag, type Sem } from './backend.js';
import { read, write } from './operands.js';
import type { Instruction, Size } from '../table/types.js';
import { Reg } from '../table/types.js';
import { ExitReason } from '../../runtime/exit-reason.js';

const hypercall: Sem = (b, i) => b.hypercall(i);

const SYSTEM_SEMS = [
  'hypercall', 'in', 'out', 'ins', 'outs', 'cli', 'sti', 'hlt',
  'sldt', 'str', 'lldt', 'ltr', 'verr', 'verw', 'sgdt', 'sidt', 'lgdt', 'lidt', 'smsw', 'lmsw', 'invlpg',
  'lar', 'lsl', 'arpl', 'clts', 'invd', 'wbinvd', 'movFromCr', 'movFromDr', 'movToCr', 'movToDr',
  'wrmsr', 'rdmsr', 'rdpmc', 'jmpFar', 'callFar', 'retFar', 'iret', 'int', 'int1', 'sysenter', 'sysexit',
  'movToSeg', 'popSeg', 'les', 'lds', 'lss', 'lfs', 'lgs',
] as const;

export const SYSTEM_SEMANTICS: Record<string, Sem> = {
  ...Object.fromEntries(SYSTEM_SEMS.map((name) => [name, hypercall])),
};

/** What a tier offers the inline semantics beyond the Backend (translated code: the emitter; liveness: its recorder). */
export interface InlineBackend<V> extends Backend<V> {
  /** Leave before this instruction; the VMM's trap path runs it. Does not return on its branch. */
  leaveToVmm(): void;
  /** EFLAGS.IOPL, 0-3. */
  iopl(): V;
  /** Blocking by STI begins (IF was 0), recorded exactly as the VMM records it. */
  stiShadow(): void;
  /** A port access by the VMM core, or a decline (the instruction leaves before it happened): an input's value. */
  portIo(port: V, size: Size, input: boolean, value: V): V;
  /** Count one sensitive instruction run inline (statistics). */
  countInline(): void;
  /** RDTSC by the VMM core, or a decline (the instruction leaves before it happened): EDX:EAX as [low, high]. */
  rdtsc(): [V, V];
}

/** An inline semantic routine (the Sem of a tier that offers InlineBackend). */
export type InlineSem = <V>(b: InlineBackend<V>, i: Instruction) => void;

/**
 * Run `then` when the instruction's IOPL-sensitivity allows it (CPL <=
 * IOPL; CPL is fixed for the translation, IOPL is read at run time),
 * else leave for the trap path (#GP, or the I/O-permission bitmap).
 */
function whenIoplAllows<V>(b: InlineBackend<V>, then: () => void): void {
  if (b.mode.cpl === 0) { then(); return; }
  b.if_(b.leU(b.k(b.mode.cpl), b.iopl()), then, () => b.leaveToVmm());
}

/** The port of IN/OUT: imm8 or DX. */
function portOf<V>(b: Backend<V>, i: Instruction, k: number): V {
  const op = i.operands[k]!;
  return op.kind === 'imm' ? b.k(op.value & 0xff) : b.reg(Reg.EDX, 2);
}

/**
 * The inline forms. CLI/STI/IN/OUT are only given to a translation outside
 * v8086 mode (region.ts inlineSensitive): there the IOPL checks differ and
 * the trap path has them. PUSHF/POPF are their own semantics (data.ts),
 * which the inline strategy translates as they are.
 */
export const INLINE_SEMANTICS: Record<string, InlineSem> = {
  cli: (b) => whenIoplAllows(b, () => {
    b.countInline();
    b.setFlag(Flag.IF, b.k(0));
  }),
  /**
   * STI with IF = 0 blocks interrupts until the next instruction has run.
   * Translated code records that blocking exactly as the VMM's hypercall
   * does (cpu.interruptShadow, and the retired count of the STI in
   * vmm.shadowSetAt, through the stiShadow runtime call) rather than only
   * inlining an STI whose next instruction is sure to run in the same
   * region: any boundary the vCPU may see after it (the slice ending right
   * after STI, STI the last instruction before HLT) then has the blocking
   * in the guest state, so `sti; hlt` never takes the interrupt before HLT
   * and loses the wake-up (test/jit/inline.test.ts).
   */
  sti: (b) => whenIoplAllows(b, () => {
    b.countInline();
    b.if_(b.eqz(b.flag(Flag.IF)), () => b.stiShadow());
    b.setFlag(Flag.IF, b.k(1));
  }),
  in: (b, i) => whenIoplAllows(b, () => {
    const dst = i.operands[0]!;
    const size = (dst.kind === 'reg' ? dst.size : 1) as Size;
    write(b, dst, b.portIo(portOf(b, i, 1), size, true, b.k(0)));
  }),
  /** RDTSC, the one `hypercall` row inlineSensitive admits (CPUID stays on the trap path). */
  hypercall: (b, i) => {
    if (i.row.exit !== ExitReason.Rdtsc) throw new Error(`${i.row.mnemonic} has no inline form`);
    const [lo, hi] = b.rdtsc();
    b.setReg(Reg.EAX, 4, lo);
    b.setReg(Reg.EDX, 4, hi);
  },
  out: (b, i) => whenIoplAllows(b, () => {
    const src = i.operands[1]!;
    const size = (src.kind === 'reg' ? src.size : 1) as Size;
    b.portIo(portOf(b, i, 0), size, false, read(b, src));
  }),
};
