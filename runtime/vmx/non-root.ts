/**
 * A sensitive instruction's architectural operation (runtime/system) as
 * VMX non-root operation changes it when the instruction does not exit
 * (SDM vol. 3C, 25.3), and as the default VMM emulates it after an exit.
 *
 * Non-root changes: MOV from CR0/CR4 and SMSW read host-owned bits from
 * the read shadows; MOV to CR0/CR4, LMSW and CLTS leave host-owned bits
 * unmodified; RDTSC, and RDMSR of IA32_TIME_STAMP_COUNTER, add the TSC
 * offset under "use TSC offsetting".
 *
 * Emulation after an exit gives the guest what it asked for: the TSC as
 * the guest sees it (offset included), and a CR0/CR4 write takes effect in
 * the register and in the read shadow's host-owned bits, so the guest
 * reads back what it wrote (as KVM keeps the guest-visible CR0).
 */
import type { CregOperand, Instruction, RegOperand } from '../../translator/table/types.js';
import { Reg } from '../../translator/table/types.js';
import type { SystemContext, SystemOp } from '../system/context.js';
import { readCr0, storeWord, writeCr0 } from '../system/control-ops.js';
import { ExitReason } from '../exit-reason.js';
import { Msr } from '../msr.js';
import { ProcControl, type Vmcs } from './vmcs.js';

const CR0_TS = 1 << 3;
const MASK64 = (1n << 64n) - 1n;

function crOperand(i: Instruction, k: number): number {
  return (i.operands[k] as CregOperand).reg;
}

function gprOperand(i: Instruction, k: number): number {
  return (i.operands[k] as RegOperand).reg;
}

/** RDTSC, or RDMSR of IA32_TIME_STAMP_COUNTER: both leave the TSC in EDX:EAX. */
function readsTsc(ctx: SystemContext, i: Instruction): boolean {
  if (i.row.sem === 'hypercall') return i.row.exit === ExitReason.Rdtsc;
  return i.row.sem === 'rdmsr' && ctx.b.reg(Reg.ECX, 4) >>> 0 === Msr.TimeStampCounter;
}

/** A TSC value plus the VMCS TSC offset (mod 2^64): what the guest reads under "use TSC offsetting". */
export function offsetTsc(vmcs: Vmcs, tsc: bigint): bigint {
  return (tsc + vmcs.tscOffset) & MASK64;
}

/** EDX:EAX += the TSC offset (mod 2^64). */
function addTscOffset(vmcs: Vmcs, ctx: SystemContext): void {
  const b = ctx.b;
  const v = offsetTsc(vmcs, (BigInt(b.reg(Reg.EDX, 4) >>> 0) << 32n) | BigInt(b.reg(Reg.EAX, 4) >>> 0));
  b.setReg(Reg.EAX, 4, Number(v & 0xffffffffn) | 0);
  b.setReg(Reg.EDX, 4, Number(v >> 32n) | 0);
}

/** Run `op` with the value of general register `r` replaced by `value` for its duration. */
function withRegister(ctx: SystemContext, r: number, value: number, run: () => void): void {
  const saved = ctx.b.reg(r, 4);
  ctx.b.setReg(r, 4, value);
  try {
    run();
  } finally {
    ctx.b.setReg(r, 4, saved);
  }
}

/** Instruction `i` in VMX non-root operation, when it does not exit (25.3). */
export function runNonRoot(vmcs: Vmcs, ctx: SystemContext, i: Instruction, op: SystemOp): void {
  const cpu = ctx.cpu;
  const b = ctx.b;
  switch (i.row.sem) {
    case 'movFromCr': {
      op(ctx, i);
      const cr = crOperand(i, 1);
      const gpr = gprOperand(i, 0);
      if (cr === 0) b.setReg(gpr, 4, vmcs.cr0Visible(b.reg(gpr, 4)));
      else if (cr === 4) b.setReg(gpr, 4, vmcs.cr4Visible(b.reg(gpr, 4)));
      return;
    }
    case 'smsw':
      op(ctx, i);
      // Stored again with the host-owned bits from the shadow (the first store already checked the destination).
      if (vmcs.cr0GuestHostMask) {
        const visible = vmcs.cr0Visible(readCr0(cpu));
        storeWord(ctx, i, visible, visible);
      }
      return;
    case 'movToCr': {
      const cr = crOperand(i, 0);
      const mask = cr === 0 ? vmcs.cr0GuestHostMask : cr === 4 ? vmcs.cr4GuestHostMask : 0;
      if (!mask) {
        op(ctx, i);
        return;
      }
      // Host-owned bits keep the register's value (the source matches the shadow there, or it would have exited).
      const gpr = gprOperand(i, 1);
      const actual = cr === 0 ? cpu.cr0 : cpu.cr4;
      withRegister(ctx, gpr, (b.reg(gpr, 4) & ~mask) | (actual & mask), () => op(ctx, i));
      return;
    }
    case 'lmsw': {
      const before = cpu.cr0;
      op(ctx, i);
      const owned = vmcs.cr0GuestHostMask & 0xf;
      const fixed = ((cpu.cr0 & ~owned) | (before & owned)) | 0;
      if (fixed !== cpu.cr0) writeCr0(ctx, fixed);
      return;
    }
    case 'clts':
      // With TS host-owned (and the shadow's TS clear, or CLTS would have exited), CLTS changes nothing.
      if (vmcs.cr0GuestHostMask & CR0_TS) return;
      op(ctx, i);
      return;
    default:
      op(ctx, i);
      if (vmcs.has(ProcControl.UseTscOffsetting) && readsTsc(ctx, i)) addTscOffset(vmcs, ctx);
  }
}

/** The default VMM's emulation of instruction `i` after it exited. */
export function emulateAfterExit(vmcs: Vmcs, ctx: SystemContext, i: Instruction, op: SystemOp): void {
  const cpu = ctx.cpu;
  op(ctx, i);
  const cr = i.row.sem === 'movToCr' ? crOperand(i, 0) : i.row.sem === 'clts' || i.row.sem === 'lmsw' ? 0 : -1;
  switch (cr) {
    case 0:
      vmcs.cr0ReadShadow = ((vmcs.cr0ReadShadow & ~vmcs.cr0GuestHostMask) | (readCr0(cpu) & vmcs.cr0GuestHostMask)) | 0;
      return;
    case 4:
      vmcs.cr4ReadShadow = ((vmcs.cr4ReadShadow & ~vmcs.cr4GuestHostMask) | (cpu.cr4 & vmcs.cr4GuestHostMask)) | 0;
      return;
    default:
      if (vmcs.has(ProcControl.UseTscOffsetting) && readsTsc(ctx, i)) addTscOffset(vmcs, ctx);
  }
}
