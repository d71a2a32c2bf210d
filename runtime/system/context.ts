/**
 * What the runtime's system-instruction and event routines see: the vCPU's
 * architectural state, memory, the MMU, the concrete backend (operands,
 * flags, jumps), the interpreter (retired count, decode cache), the I/O bus
 * and the CPU model. One context per vCPU, built by the VMM.
 *
 * A system operation is the architectural effect of one sensitive
 * instruction as the CPU defines it (SDM vol. 2/3). Whether it runs
 * directly (no VM exit under the current VMCS controls) or as the default
 * VMM's emulation after an exit is the VMX layer's decision (runtime/vmm.ts,
 * runtime/vmx/): the effect is written once, here.
 */
import type { Instruction } from '../../translator/table/types.js';
import type { ConcreteBackend } from '../concrete-backend.js';
import type { CpuModel } from '../cpu-model.js';
import type { CpuState } from '../cpu.js';
import type { Interpreter } from '../interpreter.js';
import type { IoBus } from '../io-bus.js';
import type { PhysicalMemory } from '../memory.js';
import type { Mmu } from '../mmu.js';
import type { MsrFile } from '../msr.js';

export interface SystemContext {
  readonly cpu: CpuState;
  readonly mem: PhysicalMemory;
  readonly mmu: Mmu;
  readonly b: ConcreteBackend;
  readonly interp: Interpreter;
  readonly io: IoBus;
  readonly model: CpuModel;
  /** The vCPU's model-specific registers (runtime/msr.ts). */
  readonly msrs: MsrFile;
}

/**
 * The architectural effect of one sensitive instruction. It reads and
 * writes operands through ctx.b, raises faults by throwing GuestFault, sets
 * EIP through ctx.b.jump() when it transfers control (otherwise the
 * interpreter advances to the next instruction), and calls
 * ctx.cpu.refreshMode() after changing CS, SS, CR0, EFLAGS.VM or CPL.
 */
export type SystemOp = (ctx: SystemContext, insn: Instruction) => void;

/** System operations by the opcode table's `sem` name. */
export type SystemOps = Readonly<Record<string, SystemOp>>;
