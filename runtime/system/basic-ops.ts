/**
 * System operations that need no descriptor tables: CPUID, RDTSC, HLT,
 * CLI/STI and port I/O (SDM vol. 2).
 */
import { Reg } from '../../translator/table/types.js';
import { Flag } from '../../translator/semantics/backend.js';
import { read, write, effectiveAddress } from '../../translator/semantics/operands.js';
import { cpuid } from '../cpu-model.js';
import { ExitReason } from '../exit-reason.js';
import type { SystemOps } from './context.js';

export const BASIC_OPS: SystemOps = {
  hypercall: (ctx, i) => {
    const b = ctx.b;
    if (i.row.exit === ExitReason.Cpuid) {
      const [a, bx, c, d] = cpuid(ctx.model, b.reg(Reg.EAX, 4));
      b.setReg(Reg.EAX, 4, a); b.setReg(Reg.EBX, 4, bx); b.setReg(Reg.ECX, 4, c); b.setReg(Reg.EDX, 4, d);
      return;
    }
    if (i.row.exit === ExitReason.Rdtsc) {
      // A virtual TSC: a fixed number of cycles per retired instruction.
      const tsc = ctx.interp.retired * 2;
      b.setReg(Reg.EAX, 4, tsc | 0);
      b.setReg(Reg.EDX, 4, Math.floor(tsc / 2 ** 32));
      return;
    }
    throw new Error(`no system operation for ${i.row.mnemonic}`);
  },
  hlt: (ctx) => { ctx.cpu.halted = true; },
  cli: (ctx) => { ctx.b.setFlag(Flag.IF, 0); },
  sti: (ctx) => { ctx.b.setFlag(Flag.IF, 1); },
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
function stringIo(ctx: Parameters<SystemOps[string]>[0], i: Parameters<SystemOps[string]>[1], input: boolean): void {
  const b = ctx.b;
  const mem = i.operands[input ? 0 : 1]!;
  if (mem.kind !== 'mem') throw new Error(`${i.row.mnemonic} without a memory operand`);
  const size = mem.size as 1 | 2 | 4;
  const cx = i.adsize === 2 ? 2 : 4;
  if (i.rep && b.reg(Reg.ECX, cx) === 0) return;
  const port = b.reg(Reg.EDX, 2);
  const ea = effectiveAddress(b, mem);
  if (input) b.store(mem.seg, ea, size, ctx.io.read(port, size));
  else ctx.io.write(port, size, b.load(mem.seg, ea, size));
  const delta = b.flag(Flag.DF) ? -size : size;
  const ptr = input ? Reg.EDI : Reg.ESI;
  b.setReg(ptr, cx, b.reg(ptr, cx) + delta);
  if (i.rep) {
    const left = (b.reg(Reg.ECX, cx) - 1) | 0;
    b.setReg(Reg.ECX, cx, left);
    if (b.zx(left, cx) !== 0) b.jump(i.eip);
  }
}
