/**
 * The shadow paging policy: guest writes to paging structures (through the
 * interpreter's store path and through translated code's inline TLB path)
 * update the translation at once; shadows survive CR3 switches and are
 * restored without walks; writes to the tables of a kept address space,
 * PDPTE changes, INVLPG, eviction and paging-mode changes drop what they
 * must. The nested policy is run on the same guests where the difference
 * is the point (it keeps a stale entry until INVLPG, as a TLB may).
 *
 *   npx vitest run test/runtime/paging-shadow.test.ts
 */
import { describe, expect, it } from 'vitest';
import type { Instruction } from '../../translator/table/types.js';
import { CODE_RX_ACCESS, CR0_ET, CR0_PE, CR0_PG, CR4_PAE, CR4_PGE, CpuState, DATA_RW_ACCESS } from '../../runtime/cpu.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { Interpreter } from '../../runtime/interpreter.js';
import { JitTier } from '../../runtime/jit/jit.js';
import { PhysicalMemory } from '../../runtime/memory.js';
import { Access, type PagingPolicyName, TLB_CODE } from '../../runtime/mmu.js';
import { A, fixture, G, P, PS, U, W } from './paging-fixture.js';

/** A flat CPL 0 vCPU with paging on (PD 0x10000; PT0 identity-maps 0-4 MiB; PT1 maps 4-8 MiB) and `code` at 0x1000. */
function pagedGuest(code: number[], policy: PagingPolicyName, jit: boolean) {
  const mem = new PhysicalMemory(8 << 20);
  const cpu = CpuState.in(mem);
  cpu.reset();
  for (let s = 0; s < 6; s++) {
    cpu.setSeg(s, { selector: s === 1 ? 8 : 16, base: 0, limit: 0xffffffff, access: s === 1 ? CODE_RX_ACCESS(0) : DATA_RW_ACCESS(0), big: true, unusable: false });
  }
  cpu.eip = 0x1000;
  cpu.regs[4] = 0x8000;
  const init = new DataView(new ArrayBuffer(0x3000));
  init.setUint32(0, 0x11000 | P | W, true);
  init.setUint32(4, 0x12000 | P | W, true);
  for (let i = 0; i < 1024; i++) init.setUint32(0x1000 + 4 * i, (i << 12) | P | W, true);
  init.setUint32(0x2000, 0x500000 | P | W, true);
  mem.load(0x10000, new Uint8Array(init.buffer));
  mem.write32(0x500000, 0x11111111);
  mem.write32(0x501000, 0x22222222);
  mem.load(0x1000, Uint8Array.from(code));
  cpu.cr0 = CR0_PE | CR0_ET | CR0_PG;
  cpu.cr3 = 0x10000;
  cpu.refreshMode();
  const interp = new Interpreter(cpu, mem, {
    hypercall(i: Instruction): void {
      if (i.row.sem !== 'hlt') throw new Error(`unexpected ${i.row.mnemonic}`);
      cpu.halted = true;
    },
  });
  interp.mmu.setPolicy(policy);
  const tier = jit ? new JitTier(interp, { name: 'paging-test', threshold: 0, optimize: 0, smc: 'page' }) : interp;
  return { mem, cpu, interp, tier };
}

// mov dword [0x12800], 0        ; a write to PT1 before it is a page table: its TLB entry is dirty and writable
// mov eax, [0x400000]           ; a walk through PT1: its frame becomes write-protected
// mov dword [0x12000], 0x501003 ; the guest rewrites the PTE of 0x400000 (no INVLPG)
// mov ebx, [0x400000]
// hlt
const REMAP = [
  0xc7, 0x05, 0x00, 0x28, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
  0xa1, 0x00, 0x00, 0x40, 0x00,
  0xc7, 0x05, 0x00, 0x20, 0x01, 0x00, 0x03, 0x10, 0x50, 0x00,
  0x8b, 0x1d, 0x00, 0x00, 0x40, 0x00,
  0xf4,
];

describe('shadow paging: guest writes to page tables', () => {
  for (const jit of [false, true]) {
    const tierName = jit ? 'translated code (inline TLB store path)' : 'the interpreter';
    it(`takes effect without INVLPG when written by ${tierName}`, () => {
      const { cpu, interp, tier } = pagedGuest(REMAP, 'shadow', jit);
      expect(tier.run(1000).reason).toBe(ExitReason.Hlt);
      expect(cpu.regs[0]! >>> 0).toBe(0x11111111);
      expect(cpu.regs[3]! >>> 0).toBe(0x22222222);
      const c = interp.mmu.counters;
      // Only the PTE store was trapped: the first store happened before PT1 held a used entry.
      expect(c.pageTableWrites).toBe(1);
      expect(c.shadowDrops).toBe(1);
    });

    it(`keeps the old translation under the nested policy (${tierName}), as a TLB may`, () => {
      const { cpu, interp, tier } = pagedGuest(REMAP, 'nested', jit);
      expect(tier.run(1000).reason).toBe(ExitReason.Hlt);
      expect(cpu.regs[3]! >>> 0).toBe(0x11111111);
      expect(interp.mmu.counters.pageTableWrites).toBe(0);
    });
  }

  it('write-protects a frame through entries filled before it held paging structures', () => {
    const f = fixture('shadow');
    const PD = 0x10000, PT = 0x11000;
    f.write32(PD, PT | P | W);
    for (let i = 0; i < 32; i++) f.write32(PT + 4 * i, (i << 12) | P | W);
    f.write32(PT + 4 * 0x20, 0x12000 | P | W | A | 0x40); // linear 0x20000 -> frame 0x12, dirty
    expect(f.tr(0x20000, Access.Write)).toBe(0x12000);
    expect(f.mem.tlb[0x20]! & TLB_CODE).toBe(0);
    // Frame 0x12 becomes a page table (PDE 1), through which 0x400000 is translated.
    f.write32(PD + 4, 0x12000 | P | W);
    f.write32(0x12000, 0x300000 | P | W);
    expect(f.tr(0x400000, Access.Read)).toBe(0x300000);
    expect(f.mem.pageTablePages[0x12]).toBe(1);
    expect(f.mem.tlb[0x20]! & TLB_CODE).toBe(TLB_CODE);
    // Dropping every shadow releases the write protection (the entry is then rebuilt without it).
    f.mmu.flush();
    expect(f.mem.pageTablePages.every((b) => b === 0)).toBe(true);
    expect(f.mmu.counters.protectedPages).toBe(0);
    expect(f.tr(0x20000, Access.Write)).toBe(0x12000);
    expect(f.mem.tlb[0x20]! & TLB_CODE).toBe(0);
  });

  it('drops exactly the entries derived from the written entry', () => {
    const f = fixture('shadow');
    const PD = 0x10000, PT = 0x11000;
    f.write32(PD, PT | P | W);
    for (let i = 0; i < 8; i++) f.write32(PT + 4 * i, (0x100 + i) << 12 | P | W);
    for (let i = 0; i < 8; i++) f.tr(i << 12, Access.Read);
    const walks = f.mmu.counters.walks;
    f.write32(PT + 12, 0x200000 | P | W); // PTE 3
    expect(f.mmu.counters.shadowDrops).toBe(1);
    for (let i = 0; i < 8; i++) expect(f.tr(i << 12, Access.Read)).toBe(i === 3 ? 0x200000 : (0x100 + i) << 12);
    expect(f.mmu.counters.walks).toBe(walks + 1);
    // A byte write to the PDE drops all eight (they all came through it).
    f.mem.write8(PD + 1, (PT >>> 8) & 0xff);
    expect(f.mmu.counters.shadowDrops).toBe(9);
    // That released both pages; a walk protects them again. Writes elsewhere in a watched page drop nothing (but are trapped).
    expect(f.mem.pageTablePages[0x11]).toBe(0);
    expect(f.tr(0, Access.Read)).toBe(0x100000);
    f.write32(PT + 4 * 100, 0);
    expect(f.mmu.counters.shadowDrops).toBe(9);
    expect(f.mmu.counters.pageTableWrites).toBe(3);
  });
});

describe('shadow paging: address spaces', () => {
  /** Spaces k = 0..n-1: PD at 0x100000 + k * 0x2000, its PT right after, mapping linear page i to frame 0x400 + 16k + i. */
  function spaces(policy: PagingPolicyName, n: number, pae = false) {
    const f = fixture(policy, { pae, cr3: 0x100000 });
    const entry = pae ? 8 : 4;
    const cr3s: number[] = [];
    for (let k = 0; k < n; k++) {
      const base = 0x100000 + k * 0x4000;
      if (pae) {
        const pdpt = base + 0x3000;
        f.write64(pdpt, base | P);
        cr3s.push(pdpt);
      } else {
        cr3s.push(base);
      }
      f.write32(base, (base + 0x1000) | P | W | U);
      for (let i = 0; i < 16; i++) f.write32(base + 0x1000 + entry * i, (0x400 + 16 * k + i) << 12 | P | W | U);
    }
    f.loadCr3(cr3s[0]!);
    return { f, cr3s };
  }
  const touch = (f: ReturnType<typeof fixture>, k: number): void => {
    for (let i = 0; i < 16; i++) expect(f.tr(i << 12, Access.Read)).toBe((0x400 + 16 * k + i) << 12);
  };

  for (const pae of [false, true]) {
    it(`restores a kept shadow on a switch back, without walks (${pae ? 'PAE' : '32-bit'})`, () => {
      const { f, cr3s } = spaces('shadow', 2, pae);
      touch(f, 0);
      expect(f.mmu.counters.walks).toBe(16);
      f.loadCr3(cr3s[1]!);
      touch(f, 1);
      expect(f.mmu.counters.walks).toBe(32);
      f.loadCr3(cr3s[0]!);
      touch(f, 0);
      f.loadCr3(cr3s[1]!);
      touch(f, 1);
      const c = f.mmu.counters;
      expect(c.walks).toBe(32);
      expect(c.shadowRestores).toBe(2);
      expect(c.shadowEntriesRestored).toBe(32);
      // A reload of the current CR3 keeps its shadow too.
      f.loadCr3(cr3s[1]!);
      touch(f, 1);
      expect(c.walks).toBe(32);
    });
  }

  it('re-walks after every switch under the nested policy', () => {
    const { f, cr3s } = spaces('nested', 2);
    touch(f, 0);
    f.loadCr3(cr3s[1]!);
    touch(f, 1);
    f.loadCr3(cr3s[0]!);
    touch(f, 0);
    expect(f.mmu.counters.walks).toBe(48);
    expect(f.mmu.counters.cr3Loads).toBe(3);
  });

  it('drops entries of a kept shadow whose tables are written while it is not current', () => {
    const { f, cr3s } = spaces('shadow', 2);
    touch(f, 0);
    f.loadCr3(cr3s[1]!);
    f.write32(0x101000 + 4 * 2, 0x7f0000 | P | W | U); // space 0, PTE 2
    expect(f.mmu.counters.shadowDrops).toBe(1);
    f.loadCr3(cr3s[0]!);
    expect(f.tr(0x2000, Access.Read)).toBe(0x7f0000);
    expect(f.tr(0x3000, Access.Read)).toBe(0x403000);
    expect(f.mmu.counters.walks).toBe(17);
  });

  it('does not restore a PAE shadow whose PDPTEs changed while it was kept', () => {
    const { f, cr3s } = spaces('shadow', 2, true);
    touch(f, 0);
    f.loadCr3(cr3s[1]!);
    // Space 0's PDPTE 0 now points at space 1's directory.
    f.write64(cr3s[0]!, 0x104000 | P);
    f.loadCr3(cr3s[0]!);
    expect(f.mmu.counters.shadowRestores).toBe(0);
    touch(f, 1);
  });

  it('keeps at most the configured number of shadows, evicting the least recently used', () => {
    const { f, cr3s } = spaces('shadow', 9);
    for (let k = 0; k < 9; k++) {
      f.loadCr3(cr3s[k]!);
      touch(f, k);
    }
    const c = f.mmu.counters;
    expect(c.shadowEvictions).toBe(1);
    expect(c.walks).toBe(9 * 16);
    f.loadCr3(cr3s[1]!);
    touch(f, 1);
    expect(c.walks).toBe(9 * 16);
    f.loadCr3(cr3s[0]!); // evicted: walked again
    touch(f, 0);
    expect(c.walks).toBe(10 * 16);
    expect(c.shadowEvictions).toBe(2);
  });

  it('drops one entry on INVLPG, and everything on a paging-mode change', () => {
    const { f, cr3s } = spaces('shadow', 2);
    touch(f, 0);
    f.loadCr3(cr3s[1]!);
    touch(f, 1);
    f.mmu.invlpg(0x5000);
    touch(f, 1);
    expect(f.mmu.counters.walks).toBe(33);
    f.cpu.cr0 |= 0x10000; // WP
    f.mmu.pagingModeChanged();
    expect(f.mmu.counters.protectedPages).toBe(0);
    f.loadCr3(cr3s[0]!);
    touch(f, 0);
    expect(f.mmu.counters.walks).toBe(49);
    expect(f.mmu.counters.shadowRestores).toBe(0);
  });

  it('carries global entries into the address space switched to (CR4.PGE)', () => {
    const { f, cr3s } = spaces('shadow', 2);
    f.cpu.cr4 |= CR4_PGE;
    f.mmu.pagingModeChanged();
    // A kernel page table shared by both spaces: linear 4-8 MiB, global 4 MiB page.
    f.write32(0x100000 + 4, 0xc00000 | P | W | PS | G);
    f.write32(0x104000 + 4, 0xc00000 | P | W | PS | G);
    f.cpu.cr4 |= 0x10; // PSE
    f.mmu.pagingModeChanged();
    expect(f.tr(0x400000, Access.Read)).toBe(0xc00000);
    expect(f.tr(0x401000, Access.Read)).toBe(0xc01000);
    const walks = f.mmu.counters.walks;
    f.loadCr3(cr3s[1]!);
    expect(f.mmu.counters.globalsCarried).toBe(2);
    expect(f.tr(0x401000, Access.Read)).toBe(0xc01000);
    expect(f.mmu.counters.walks).toBe(walks);
    // INVLPG drops a global page in every kept shadow; the next switch back walks it.
    f.mmu.invlpg(0x400000);
    f.loadCr3(cr3s[0]!);
    expect(f.tr(0x401000, Access.Read)).toBe(0xc01000);
    expect(f.mmu.counters.walks).toBe(walks + 1);
  });
});

describe.each(['nested', 'shadow'] as const)('global entries under the %s policy', (policy) => {
  it('survive CR3 switches even where another address space maps the page differently, until INVLPG', () => {
    // Space k maps linear page i to frame 0x400 + 16k + i; only space 0's page 3 is global.
    const f = fixture(policy);
    const cr3s = [0x100000, 0x104000, 0x108000];
    cr3s.forEach((pd, k) => {
      f.write32(pd, (pd + 0x1000) | P | W);
      for (let i = 0; i < 16; i++) f.write32(pd + 0x1000 + 4 * i, ((0x400 + 16 * k + i) << 12) | P | W | (k === 0 && i === 3 ? G : 0));
    });
    f.cpu.cr4 |= CR4_PGE;
    f.loadCr3(cr3s[0]!);
    expect(f.tr(0x3000, Access.Read)).toBe(0x403000);
    f.loadCr3(cr3s[1]!);
    expect(f.tr(0x3000, Access.Read)).toBe(0x403000); // the global translation is still cached
    expect(f.tr(0x4000, Access.Read)).toBe(0x414000);
    f.loadCr3(cr3s[2]!);
    f.mmu.invlpg(0x3000); // invalidates the global translation wherever it is cached
    expect(f.tr(0x3000, Access.Read)).toBe(0x423000);
    f.loadCr3(cr3s[1]!);
    expect(f.tr(0x3000, Access.Read)).toBe(0x413000);
  });
});

describe('policy selection', () => {
  it('switches policy on a live MMU and keeps per-policy counters', () => {
    const f = fixture('nested', { pae: true });
    f.write64(0x10000, 0x11000 | P);
    f.write64(0x11000, 0x12000 | P | W);
    f.write64(0x12000, 0x300000 | P | W);
    f.loadCr3(0x10000);
    expect(f.tr(0x0, Access.Read)).toBe(0x300000);
    expect(f.mmu.policyName).toBe('nested');
    f.mmu.setPolicy('shadow');
    expect(f.mmu.policyName).toBe('shadow');
    expect(f.tr(0x0, Access.Write)).toBe(0x300000);
    expect(f.mem.pageTablePages[0x11]).toBe(1);
    expect(f.mmu.countersOf('nested')!.walks).toBe(1);
    expect(f.mmu.counters.walks).toBe(1);
    f.mmu.setPolicy('nested');
    expect(f.mem.pageTablePages[0x11]).toBe(0);
    expect(f.mem.pageTablePages[0x12]).toBe(0);
    expect(f.cpu.cr4 & CR4_PAE).toBe(CR4_PAE);
  });
});
