/**
 * Which sensitive instructions cause a VM exit under the current VMCS
 * controls, and the exit information they record (SDM vol. 3C, 25.1.2
 * unconditional and 25.1.3 conditional exits; 27.2 exit information).
 * Instruction exits are fault-like: the instruction has not executed, the
 * guest EIP is its own, and the exit instruction length lets the handler
 * step over it.
 *
 * The faults that have priority over these exits (25.1.1: #UD, the CPL
 * and IOPL checks, the TSS I/O permission bitmap) are raised before the
 * instruction gets here, from the opcode table's attributes. Faults in
 * fetching an operand an exit condition depends on (LMSW's memory source)
 * are raised here, before the exit, as 25.1.1 orders.
 */
import { Reg, Seg, type CregOperand, type Instruction, type MemOperand, type Operand, type RegOperand } from '../../translator/table/types.js';
import { effectiveAddress, read } from '../../translator/semantics/operands.js';
import { Feature } from '../cpu-model.js';
import { ExitReason } from '../exit-reason.js';
import type { SystemContext } from '../system/context.js';
import { rdtscFault } from '../system/basic-ops.js';
import {
  CrAccessType, crAccessQualification, DescriptorTableIdentity, descriptorTableInfo, displacementQualification,
  type IoAccess, insOutsInfo, ioQualification, LdtrTrIdentity, ldtrTrInfo, movDrQualification,
} from './qualification.js';
import { type ExitInfo, exitInfo, ProcControl, ProcControl2, type Vmcs } from './vmcs.js';

/** CR0.TS, the bit CLTS clears. */
const CR0_TS = 1 << 3;

/** The exit an instruction causes, with what the I/O and MSR exits also report for the embedder's convenience. */
export interface InstructionExit extends ExitInfo {
  /** IN, OUT, INS, OUTS. */
  readonly io?: IoAccess;
  /** RDMSR, WRMSR: ECX. */
  readonly msr?: number;
}

/** The I/O access an IN, OUT, INS or OUTS makes. */
export function ioAccessOf(ctx: SystemContext, i: Instruction): IoAccess {
  const b = ctx.b;
  const sem = i.row.sem;
  const string = sem === 'ins' || sem === 'outs';
  const input = sem === 'in' || sem === 'ins';
  const portOp = string ? undefined : i.operands[input ? 1 : 0]!;
  const dataOp = i.operands[input ? 0 : 1]!;
  const immediate = portOp?.kind === 'imm';
  const port = immediate ? portOp.value & 0xff : b.reg(Reg.EDX, 2);
  const size = (dataOp.kind === 'reg' || dataOp.kind === 'mem' ? dataOp.size : 1) as 1 | 2 | 4;
  return { port, size, input, string, rep: string && i.rep !== 0, immediate };
}

function crOperand(i: Instruction, k: number): number {
  return (i.operands[k] as CregOperand).reg;
}

function gprOperand(i: Instruction, k: number): number {
  return (i.operands[k] as RegOperand).reg;
}

/** The linear address of a memory operand (segment base + effective address), without limit checks. */
function linearOf(ctx: SystemContext, m: MemOperand): number {
  return (ctx.cpu.segs[m.seg as Seg]!.base + effectiveAddress(ctx.b, m)) >>> 0;
}

/**
 * The VM exit instruction `i` causes under `vmcs`, or null when it runs in
 * VMX non-root operation (with the changes of 25.3: runtime/vmx/non-root.ts).
 */
export function instructionExit(vmcs: Vmcs, ctx: SystemContext, i: Instruction): InstructionExit | null {
  const cpu = ctx.cpu;
  const length = i.length;
  const exit = (reason: ExitReason, fields: Partial<Omit<ExitInfo, 'reason'>> = {}): ExitInfo =>
    exitInfo(reason, { instructionLength: length, ...fields });

  switch (i.row.sem) {
    case 'hypercall':
      // CPUID exits unconditionally (25.1.2).
      if (i.row.exit === ExitReason.Cpuid) return exit(ExitReason.Cpuid);
      if (i.row.exit === ExitReason.Rdtsc) {
        // #UD (no TSC) and #GP (CR4.TSD at CPL > 0) have priority over the exit.
        if (rdtscFault(ctx)) return null;
        return vmcs.has(ProcControl.RdtscExiting) ? exit(ExitReason.Rdtsc) : null;
      }
      return null;
    case 'invd':
      return exit(ExitReason.Invd);
    case 'wbinvd':
      return vmcs.has2(ProcControl2.WbinvdExiting) ? exit(ExitReason.Wbinvd) : null;
    case 'hlt':
      return vmcs.has(ProcControl.HltExiting) ? exit(ExitReason.Hlt) : null;
    case 'rdpmc':
      return vmcs.has(ProcControl.RdpmcExiting) ? exit(ExitReason.Rdpmc) : null;
    case 'invlpg': {
      if (!vmcs.has(ProcControl.InvlpgExiting)) return null;
      // The qualification is the linear-address operand (27.2.1).
      return exit(ExitReason.Invlpg, { qualification: linearOf(ctx, i.operands[0] as MemOperand) | 0 });
    }
    case 'rdmsr': case 'wrmsr': {
      // Without CPUID.MSR the opcodes are #UD, which has priority.
      if (!(ctx.model.features & Feature.MSR)) return null;
      const msr = ctx.b.reg(Reg.ECX, 4) >>> 0;
      const write = i.row.sem === 'wrmsr';
      if (!vmcs.msrExits(msr, write)) return null;
      return { ...exit(write ? ExitReason.Wrmsr : ExitReason.Rdmsr), msr };
    }
    case 'in': case 'out': case 'ins': case 'outs': {
      const io = ioAccessOf(ctx, i);
      if (!vmcs.ioExits(io.port, io.size)) return null;
      const fields: Partial<ExitInfo> = { qualification: ioQualification(io) };
      if (io.string) {
        const m = i.operands[io.input ? 0 : 1] as MemOperand;
        return { ...exit(ExitReason.IoInstruction, { ...fields, guestLinearAddress: linearOf(ctx, m) | 0, instructionInfo: insOutsInfo(m, !io.input) }), io };
      }
      return { ...exit(ExitReason.IoInstruction, fields), io };
    }
    case 'movToCr': {
      const cr = crOperand(i, 0);
      const gpr = gprOperand(i, 1);
      const value = ctx.b.reg(gpr, 4);
      let exits = false;
      if (cr === 0) exits = ((value ^ vmcs.cr0ReadShadow) & vmcs.cr0GuestHostMask) !== 0;
      else if (cr === 4) exits = ((value ^ vmcs.cr4ReadShadow) & vmcs.cr4GuestHostMask) !== 0;
      else if (cr === 3) exits = vmcs.has(ProcControl.Cr3LoadExiting) && !vmcs.cr3TargetValues.slice(0, 4).some((t) => (t | 0) === (value | 0));
      return exits ? exit(ExitReason.CrAccess, { qualification: crAccessQualification({ cr, type: CrAccessType.MovToCr, gpr }) }) : null;
    }
    case 'movFromCr': {
      const cr = crOperand(i, 1);
      if (cr !== 3 || !vmcs.has(ProcControl.Cr3StoreExiting)) return null;
      return exit(ExitReason.CrAccess, { qualification: crAccessQualification({ cr, type: CrAccessType.MovFromCr, gpr: gprOperand(i, 0) }) });
    }
    case 'clts':
      // CLTS exits iff CR0.TS is set in both the guest/host mask and the read shadow (25.1.3).
      if (!(vmcs.cr0GuestHostMask & vmcs.cr0ReadShadow & CR0_TS)) return null;
      return exit(ExitReason.CrAccess, { qualification: crAccessQualification({ cr: 0, type: CrAccessType.Clts }) });
    case 'lmsw': {
      const src = i.operands[0]!;
      const source = read(ctx.b, src) & 0xffff;
      const mask = vmcs.cr0GuestHostMask;
      const shadow = vmcs.cr0ReadShadow;
      // LMSW never clears PE: it exits when it would set a host-owned PE the shadow has clear,
      // or change a host-owned MP, EM or TS from the shadow's value (25.1.3).
      const exits = (mask & source & ~shadow & 1) !== 0 || ((source ^ shadow) & mask & 0xe) !== 0;
      if (!exits) return null;
      const memory = src.kind === 'mem';
      return exit(ExitReason.CrAccess, {
        qualification: crAccessQualification({ cr: 0, type: CrAccessType.Lmsw, lmswMemory: memory, lmswSource: source }),
        guestLinearAddress: memory ? linearOf(ctx, src) | 0 : 0,
      });
    }
    case 'movToDr': case 'movFromDr': {
      if (!vmcs.has(ProcControl.MovDrExiting)) return null;
      const from = i.row.sem === 'movFromDr';
      const dr = crOperand(i, from ? 1 : 0);
      return exit(ExitReason.DrAccess, { qualification: movDrQualification(dr, from, gprOperand(i, from ? 0 : 1)) });
    }
    case 'sgdt': case 'sidt': case 'lgdt': case 'lidt': {
      if (!vmcs.has2(ProcControl2.DescriptorTableExiting)) return null;
      const identity = { sgdt: DescriptorTableIdentity.Sgdt, sidt: DescriptorTableIdentity.Sidt, lgdt: DescriptorTableIdentity.Lgdt, lidt: DescriptorTableIdentity.Lidt }[i.row.sem];
      const m = i.operands[0] as MemOperand;
      return exit(ExitReason.GdtrIdtrAccess, { qualification: displacementQualification(m), instructionInfo: descriptorTableInfo(identity, m, i.opsize) });
    }
    case 'sldt': case 'str': case 'lldt': case 'ltr': {
      // Outside protected mode these are #UD, which has priority over the exit.
      if (!vmcs.has2(ProcControl2.DescriptorTableExiting) || !cpu.mode.protectedMode) return null;
      const identity = { sldt: LdtrTrIdentity.Sldt, str: LdtrTrIdentity.Str, lldt: LdtrTrIdentity.Lldt, ltr: LdtrTrIdentity.Ltr }[i.row.sem];
      const op: Operand = i.operands[0]!;
      return exit(ExitReason.LdtrTrAccess, { qualification: displacementQualification(op), instructionInfo: ldtrTrInfo(identity, op) });
    }
    default:
      return null;
  }
}
