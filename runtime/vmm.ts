/**
 * The default VMM core: answers the hypervisor calls of sensitive
 * instructions the way a VT-x hypervisor answers their exits (CPUID,
 * RDTSC, HLT, port I/O to devices it owns, CLI/STI on the virtual IF).
 * What it does not implement yet (descriptor-table loads, far transfers
 * through gates, CR writes: the system issue) ends run() with that
 * instruction's exit reason, as KVM returns an exit it cannot handle.
 */
import type { Instruction } from '../translator/table/types.js';
import { Reg } from '../translator/table/types.js';
import { Flag } from '../translator/semantics/backend.js';
import { read, write, effectiveAddress } from '../translator/semantics/operands.js';
import { type ConcreteBackend, type HypercallHandler, VmExitSignal } from './concrete-backend.js';
import { cpuid, type CpuModel } from './cpu-model.js';
import { ExitReason } from './exit-reason.js';
import type { IoBus } from './io-bus.js';
import type { Interpreter, VmExit } from './interpreter.js';

export class DefaultVmm implements HypercallHandler {
  private b!: ConcreteBackend;
  private interp!: Interpreter;
  /** Exits handled here, by reason (the `--stats` view). */
  readonly exitCounts = new Map<number, number>();

  constructor(readonly io: IoBus, readonly model: CpuModel) {}

  attach(interp: Interpreter): void {
    this.interp = interp;
    this.b = interp.backend;
  }

  private count(reason: ExitReason): void {
    this.exitCounts.set(reason, (this.exitCounts.get(reason) ?? 0) + 1);
  }

  hypercall(i: Instruction): void {
    const b = this.b;
    const reason = i.row.exit;
    if (reason !== undefined) this.count(reason);
    switch (i.row.sem) {
      case 'hypercall':
        if (reason === ExitReason.Cpuid) {
          const [a, bx, c, d] = cpuid(this.model, b.reg(Reg.EAX, 4));
          b.setReg(Reg.EAX, 4, a); b.setReg(Reg.EBX, 4, bx); b.setReg(Reg.ECX, 4, c); b.setReg(Reg.EDX, 4, d);
          return;
        }
        if (reason === ExitReason.Rdtsc) {
          // A virtual TSC: a fixed number of cycles per retired instruction.
          const tsc = this.interp.retired * 2;
          b.setReg(Reg.EAX, 4, tsc | 0);
          b.setReg(Reg.EDX, 4, Math.floor(tsc / 2 ** 32));
          return;
        }
        break;
      case 'hlt':
        this.interp.cpu.halted = true;
        return;
      case 'cli':
        b.setFlag(Flag.IF, 0);
        return;
      case 'sti':
        b.setFlag(Flag.IF, 1);
        return;
      case 'in': {
        const port = i.operands[1]!.kind === 'imm' ? (i.operands[1] as { value: number }).value : b.reg(Reg.EDX, 2);
        const dst = i.operands[0]!;
        const size = (dst.kind === 'reg' ? dst.size : 1) as 1 | 2 | 4;
        write(b, dst, this.io.read(port, size));
        return;
      }
      case 'out': {
        const port = i.operands[0]!.kind === 'imm' ? (i.operands[0] as { value: number }).value : b.reg(Reg.EDX, 2);
        const src = i.operands[1]!;
        const size = (src.kind === 'reg' ? src.size : 1) as 1 | 2 | 4;
        this.io.write(port, size, read(b, src));
        return;
      }
      case 'outs': case 'ins': {
        // One element per execution; REP repeats the instruction (as the semantics of string ops do).
        const mem = i.operands[i.row.sem === 'ins' ? 0 : 1]!;
        if (mem.kind !== 'mem') break;
        const size = mem.size as 1 | 2 | 4;
        const cx = i.adsize === 2 ? 2 : 4;
        if (i.rep && b.reg(Reg.ECX, cx) === 0) return;
        const port = b.reg(Reg.EDX, 2);
        const ea = effectiveAddress(b, mem);
        if (i.row.sem === 'ins') b.store(mem.seg, ea, size, this.io.read(port, size));
        else this.io.write(port, size, b.load(mem.seg, ea, size));
        const delta = b.flag(Flag.DF) ? -size : size;
        const ptr = i.row.sem === 'ins' ? Reg.EDI : Reg.ESI;
        b.setReg(ptr, cx, b.reg(ptr, cx) + delta);
        if (i.rep) {
          const left = (b.reg(Reg.ECX, cx) - 1) | 0;
          b.setReg(Reg.ECX, cx, left);
          if (b.zx(left, cx) !== 0) b.jump(i.eip);
        }
        return;
      }
    }
    const exit: VmExit = { reason: reason ?? ExitReason.EntryFailGuestState, detail: `${i.row.mnemonic} is not virtualised yet` };
    throw new VmExitSignal(exit);
  }
}
