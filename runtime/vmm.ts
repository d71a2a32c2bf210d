/**
 * The default VMM core: answers the hypervisor calls of sensitive
 * instructions the way a VT-x hypervisor answers their exits (CPUID,
 * RDTSC, HLT, port I/O to devices it owns, CLI/STI on the virtual IF).
 * What it does not implement yet (descriptor-table loads, far transfers
 * through gates, CR writes: the system issue) ends run() with that
 * instruction's exit reason, as KVM returns an exit it cannot handle.
 */
import type { Instruction } from '../translator/table/types.js';
import { type ConcreteBackend, type HypercallHandler, VmExitSignal } from './concrete-backend.js';
import type { CpuModel } from './cpu-model.js';
import { ExitReason } from './exit-reason.js';
import type { IoBus } from './io-bus.js';
import type { Interpreter, VmExit } from './interpreter.js';
import type { SystemContext, SystemOps } from './system/context.js';
import { BASIC_OPS } from './system/basic-ops.js';
import { SEGMENT_OPS } from './system/segment-ops.js';
import { TRANSFER_OPS } from './system/transfer-ops.js';

/** Every system operation, by the opcode table's `sem` name. */
export const SYSTEM_OPS: SystemOps = { ...BASIC_OPS, ...SEGMENT_OPS, ...TRANSFER_OPS };

export class DefaultVmm implements HypercallHandler {
  private b!: ConcreteBackend;
  private interp!: Interpreter;
  /** What system operations see (built by attach()). */
  ctx!: SystemContext;
  /** Exits handled here, by reason (the `--stats` view). */
  readonly exitCounts = new Map<number, number>();

  constructor(readonly io: IoBus, readonly model: CpuModel) {}

  attach(interp: Interpreter): void {
    this.interp = interp;
    this.b = interp.backend;
    this.ctx = { cpu: interp.cpu, mem: interp.mem, mmu: interp.mmu, b: this.b, interp, io: this.io, model: this.model };
  }

  private count(reason: ExitReason): void {
    this.exitCounts.set(reason, (this.exitCounts.get(reason) ?? 0) + 1);
  }

  hypercall(i: Instruction): void {
    const reason = i.row.exit;
    if (reason !== undefined) this.count(reason);
    const op = SYSTEM_OPS[i.row.sem];
    if (op) {
      op(this.ctx, i);
      return;
    }
    const exit: VmExit = { reason: reason ?? ExitReason.EntryFailGuestState, detail: `${i.row.mnemonic} is not virtualised yet` };
    throw new VmExitSignal(exit);
  }
}
