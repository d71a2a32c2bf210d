/**
 * System operations that need no descriptor tables (SDM vol. 2): CPUID
 * through the CPU model, RDTSC from the virtual TSC, RDPMC, HLT, CLI/STI
 * and port I/O. The privilege checks (CPL 0 for HLT; CPL ≤ IOPL or the TSS
 * I/O permission bitmap for CLI, STI and I/O) are made before these run,
 * from the opcode table's attributes. VT-x's changes to them in VMX
 * non-root operation (the TSC offset) are the VMX layer's (runtime/vmx).
 */
import { Reg } from '../../translator/table/types.js';
import { Flag } from '../../translator/semantics/backend.js';
import { read, write, effectiveAddress } from '../../translator/semantics/operands.js';
import { cpuid, Feature } from '../cpu-model.js';
import { GuestFault, Vector } from '../exceptions.js';
import { ExitReason } from '../exit-reason.js';
import { MISC_LIMIT_CPUID_MAXVAL, MISC_XD_DISABLE } from '../msr.js';
import type { SystemContext, SystemOps } from './context.js';
import { CR4_TSD } from './control-ops.js';
import type { Instruction } from '../../translator/table/types.js';

/** IA32_APIC_BASE.EN. */
const APIC_GLOBAL_ENABLE = 1n << 11n;

/** CPUID: the model's answer for leaf EAX, as the MSRs that shape CPUID leave it (vol. 2, CPUID). */
function cpuidOp(ctx: SystemContext): void {
  const b = ctx.b;
  const msrs = ctx.msrs;
  const [a, bx, c, d] = cpuid(ctx.model, b.reg(Reg.EAX, 4), {
    limitMaxLeaf: (msrs.miscEnable & MISC_LIMIT_CPUID_MAXVAL) !== 0n,
    xdDisabled: (msrs.miscEnable & MISC_XD_DISABLE) !== 0n,
    apicEnabled: (msrs.apicBase & APIC_GLOBAL_ENABLE) !== 0n,
  });
  b.setReg(Reg.EAX, 4, a); b.setReg(Reg.EBX, 4, bx); b.setReg(Reg.ECX, 4, c); b.setReg(Reg.EDX, 4, d);
}

/**
 * The fault RDTSC raises, or null: #UD on a model without a TSC, #GP(0)
 * with CR4.TSD at CPL > 0 (virtual-8086 mode is CPL 3; CR4.TSD makes
 * RDTSC privileged, vol. 3, 2.5). Both come before a VM exit.
 */
export function rdtscFault(ctx: SystemContext): GuestFault | null {
  const cpu = ctx.cpu;
  if (!(ctx.model.features & Feature.TSC)) return new GuestFault(Vector.UD);
  const cpl = cpu.mode.v86 ? 3 : cpu.cpl;
  return (cpu.cr4 & CR4_TSD) && cpl > 0 ? new GuestFault(Vector.GP, 0) : null;
}

/**
 * RDTSC: EDX:EAX ← the time-stamp counter. #GP(0) with CR4.TSD at CPL > 0
 * (virtual-8086 mode is CPL 3); #UD on a model without a TSC.
 */
function rdtscOp(ctx: SystemContext): void {
  const fault = rdtscFault(ctx);
  if (fault) throw fault;
  const tsc = ctx.msrs.tsc.read(ctx.interp.retired);
  ctx.b.setReg(Reg.EAX, 4, Number(tsc & 0xffffffffn) | 0);
  ctx.b.setReg(Reg.EDX, 4, Number(tsc >> 32n) | 0);
}

export const BASIC_OPS: SystemOps = {
  /** CPUID and RDTSC share the table's `hypercall` routine; the exit reason names which. */
  hypercall: (ctx, i) => {
    if (i.row.exit === ExitReason.Cpuid) cpuidOp(ctx);
    else if (i.row.exit === ExitReason.Rdtsc) rdtscOp(ctx);
    else throw new Error(`no system operation for ${i.row.mnemonic}`);
  },
  /**
   * RDPMC: #GP(0) at CPL > 0 without CR4.PCE, and #GP(0) for a counter the
   * model does not have. No performance-monitoring counters are modelled,
   * so every ECX names a counter the model lacks.
   */
  rdpmc: () => {
    throw new GuestFault(Vector.GP, 0);
  },
  hlt: (ctx) => { ctx.cpu.halted = true; },
  cli: (ctx) => { ctx.b.setFlag(Flag.IF, 0); },
  /**
   * STI: with IF clear before it, interrupts stay blocked until the next
   * instruction retires (blocking by STI, vol. 3 table 24-3); with IF
   * already set there is no such window.
   */
  sti: (ctx) => {
    const b = ctx.b;
    if (!b.flag(Flag.IF)) ctx.cpu.interruptShadow = 1;
    b.setFlag(Flag.IF, 1);
  },
  in: (ctx, i) => {
    const b = ctx.b;
    const port = i.operands[1]!.kind === 'imm' ? (i.operands[1] as { value: number }).value : b.reg(Reg.EDX, 2);
    const dst = i.operands[0]!;
    const size = (dst.kind === 'reg' ? dst.size : 1) as 1 | 2 | 4;
    write(b, dst, ctx.io.read(port, size));
  },
  out: (ctx, i) => {
    const b = ctx.b;
    const port = i.operands[0]!.kind === 'imm' ? (i.operands[0] as { value: number }).value : b.reg(Reg.EDX, 2);
    const src = i.operands[1]!;
    const size = (src.kind === 'reg' ? src.size : 1) as 1 | 2 | 4;
    ctx.io.write(port, size, read(b, src));
  },
  ins: (ctx, i) => stringIo(ctx, i, true),
  outs: (ctx, i) => stringIo(ctx, i, false),
};

/** INS/OUTS: one element per execution; REP repeats the instruction (as the semantics of string ops do). */
function stringIo(ctx: SystemContext, i: Instruction, input: boolean): void {
  const b = ctx.b;
  const mem = i.operands[input ? 0 : 1]!;
  if (mem.kind !== 'mem') throw new Error(`${i.row.mnemonic} without a memory operand`);
  const size = mem.size as 1 | 2 | 4;
  const cx = i.adsize === 2 ? 2 : 4;
  if (i.rep && b.reg(Reg.ECX, cx) === 0) return;
  const port = b.reg(Reg.EDX, 2);
  const ea = effectiveAddress(b, mem);
  if (input) {
    // The destination is probed first: a fault must not consume the port's data.
    b.probeWrite(mem.seg, ea, size);
    b.store(mem.seg, ea, size, ctx.io.read(port, size));
  } else {
    ctx.io.write(port, size, b.load(mem.seg, ea, size));
  }
  const delta = b.flag(Flag.DF) ? -size : size;
  const ptr = input ? Reg.EDI : Reg.ESI;
  b.setReg(ptr, cx, b.reg(ptr, cx) + delta);
  if (i.rep) {
    const left = (b.reg(Reg.ECX, cx) - 1) | 0;
    b.setReg(Reg.ECX, cx, left);
    if (b.zx(left, cx) !== 0) b.jump(i.eip);
  }
}
