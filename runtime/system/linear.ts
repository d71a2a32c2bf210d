/**
 * Implicit supervisor accesses to linear memory (SDM vol. 3, 5.5: the
 * processor's own reads and writes of descriptor tables, the TSS, and the
 * IDT are made as if at CPL 0, whatever the CPL). Accesses that cross a
 * page boundary translate each page, so a fault on the second page reports
 * that page's first byte, as the CPU does.
 */
import { Access } from '../mmu.js';
import type { SystemContext } from './context.js';

/** What an implicit access needs: memory and the MMU (a SystemContext, or the concrete backend). */
export type LinearMemory = Pick<SystemContext, 'mem' | 'mmu'>;

export function readLinear(ctx: LinearMemory, linear: number, size: 1 | 2 | 4, supervisor = true): number {
  const lin = linear >>> 0;
  if ((lin & 0xfff) + size <= 0x1000) {
    const pa = ctx.mmu.translate(lin, Access.Read, supervisor);
    return size === 4 ? ctx.mem.read32(pa) : size === 2 ? ctx.mem.read16(pa) : ctx.mem.read8(pa);
  }
  const pa0 = ctx.mmu.translate(lin, Access.Read, supervisor);
  const pa1 = ctx.mmu.translate(((lin | 0xfff) + 1) >>> 0, Access.Read, supervisor);
  let v = 0;
  for (let k = 0; k < size; k++) {
    const off = (lin & 0xfff) + k;
    v |= ctx.mem.read8(off < 0x1000 ? pa0 + k : pa1 + (off - 0x1000)) << (8 * k);
  }
  return size === 4 ? v | 0 : v;
}

export function writeLinear(ctx: LinearMemory, linear: number, size: 1 | 2 | 4, value: number, supervisor = true): void {
  const lin = linear >>> 0;
  if ((lin & 0xfff) + size <= 0x1000) {
    const pa = ctx.mmu.translate(lin, Access.Write, supervisor);
    if (size === 4) ctx.mem.write32(pa, value); else if (size === 2) ctx.mem.write16(pa, value); else ctx.mem.write8(pa, value);
    return;
  }
  const pa0 = ctx.mmu.translate(lin, Access.Write, supervisor);
  const pa1 = ctx.mmu.translate(((lin | 0xfff) + 1) >>> 0, Access.Write, supervisor);
  for (let k = 0; k < size; k++) {
    const off = (lin & 0xfff) + k;
    ctx.mem.write8(off < 0x1000 ? pa0 + k : pa1 + (off - 0x1000), (value >>> (8 * k)) & 0xff);
  }
}
