/**
 * Paging as the SDM defines it (vol. 3, chapter 4), under both paging
 * policies: 32-bit paging with 4 KiB and 4 MiB pages, PAE with 4 KiB and
 * 2 MiB pages and XD, accessed and dirty flags, every #PF error-code bit,
 * CR0.WP, reserved bits (RSVD #PF, and #GP(0) for PDPTEs when CR3 is
 * loaded), global pages across CR3 loads, INVLPG. The expected values are
 * worked out by hand from the SDM's tables, not taken from a run.
 *
 *   npx vitest run test/runtime/paging.test.ts
 */
import { describe, expect, it } from 'vitest';
import { CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE } from '../../runtime/cpu.js';
import { GuestFault } from '../../runtime/exceptions.js';
import { Access, PAGING_POLICY_NAMES, TLB_NO_WRITE_SUPER, TLB_NO_WRITE_USER, TLB_NOT_RAM, TLB_VALID, tlbMask } from '../../runtime/mmu.js';
import { A, D, EFER_NXE, fixture, G, P, pfCode, PS, U, W, XD_HIGH } from './paging-fixture.js';

const PD = 0x10000;
const PT = 0x11000;

describe.each(PAGING_POLICY_NAMES)('paging under the %s policy', (policy) => {
  describe('32-bit paging, 4 KiB pages', () => {
    function setup() {
      const f = fixture(policy);
      f.write32(PD, PT | P | W | U);
      f.write32(PT + 5 * 4, 0x200000 | P | W | U);
      return f;
    }

    it('translates through PDE and PTE and sets A on both, D only on a write', () => {
      const f = setup();
      f.cpu.cpl = 3;
      expect(f.tr(0x5123, Access.Read)).toBe(0x200123);
      expect(f.read32(PD) & (A | D)).toBe(A);
      expect(f.read32(PT + 20) & (A | D)).toBe(A);
      // A clean page's entry sends writes to the slow path (at every CPL), so D gets set by a walk.
      const e = f.mem.tlb[5]!;
      expect(e & TLB_VALID).toBe(TLB_VALID);
      expect(e & (TLB_NO_WRITE_USER | TLB_NO_WRITE_SUPER)).toBe(TLB_NO_WRITE_USER | TLB_NO_WRITE_SUPER);
      expect((e & tlbMask(Access.Read, true)) === TLB_VALID).toBe(true);
      expect(((e & ~0xfff) ^ 0x5123) >>> 0).toBe(0x200123);
      const walks = f.mmu.counters.walks;
      expect(f.tr(0x5ffc, Access.Write)).toBe(0x200ffc);
      expect(f.mmu.counters.walks).toBe(walks + 1);
      expect(f.read32(PT + 20) & (A | D)).toBe(A | D);
      // PDEs that reference a page table have no dirty flag (bit 6 ignored): the walk leaves it.
      expect(f.read32(PD) & D).toBe(0);
      expect((f.mem.tlb[5]! & tlbMask(Access.Write, true)) === TLB_VALID).toBe(true);
      expect(f.tr(0x5000, Access.Write)).toBe(0x200000);
      expect(f.mmu.counters.walks).toBe(walks + 1);
    });

    it('reports P, W/R and U/S in the error code, and CR2', () => {
      const f = setup();
      f.write32(PT + 6 * 4, 0x201000 | P | U); // user, read-only
      f.write32(PT + 7 * 4, 0x202000 | P | W); // supervisor, writable
      f.write32(PD + 4, 0x12000 | P | U); // 4-8 MiB: read-only, user at the PDE
      f.write32(0x12000, 0x203000 | P | W | U); // PTE writable, but the PDE is not
      f.write32(PD + 8, 0x13000 | P | W); // 8-12 MiB: supervisor at the PDE
      f.write32(0x13000, 0x204000 | P | W | U);
      f.cpu.cpl = 3;
      // Not present (PDE, then PTE): P = 0.
      expect(pfCode(f, 0xc00000, Access.Read)).toBe(0x4);
      expect(pfCode(f, 0xc00000, Access.Write)).toBe(0x6);
      expect(pfCode(f, 0x8000, Access.Read)).toBe(0x4);
      expect(pfCode(f, 0xc00000, Access.Read, true)).toBe(0x0);
      expect(pfCode(f, 0x8000, Access.Write, true)).toBe(0x2);
      // Protection: P = 1.
      expect(pfCode(f, 0x6000, Access.Write)).toBe(0x7);
      expect(pfCode(f, 0x7000, Access.Read)).toBe(0x5);
      expect(pfCode(f, 0x7000, Access.Write)).toBe(0x7);
      expect(pfCode(f, 0x400000, Access.Write)).toBe(0x7);
      expect(pfCode(f, 0x800000, Access.Read)).toBe(0x5);
      // Without PAE and NXE a fetch fault does not set I/D (SDM vol. 3, 4.7).
      expect(pfCode(f, 0x7000, Access.Fetch)).toBe(0x5);
      // Implicit supervisor accesses at CPL 3 (descriptor tables, TSS) may use supervisor pages.
      expect(f.tr(0x7004, Access.Read, true)).toBe(0x202004);
      expect(f.tr(0x6004, Access.Read)).toBe(0x201004);
      expect(f.tr(0x400010, Access.Read)).toBe(0x203010);
    });

    it('sets A on the PDE even when the PTE faults, and no A/D on a leaf whose access faults', () => {
      const f = setup();
      f.write32(PT + 7 * 4, 0x202000 | P | W); // supervisor page
      f.cpu.cpl = 3;
      expect(pfCode(f, 0x8000, Access.Read)).toBe(0x4);
      expect(f.read32(PD) & A).toBe(A);
      expect(pfCode(f, 0x7000, Access.Write)).toBe(0x7);
      expect(f.read32(PT + 28) & (A | D)).toBe(0);
    });

    it('lets supervisor writes through read-only pages only while CR0.WP = 0', () => {
      const f = setup();
      f.write32(PT + 6 * 4, 0x201000 | P | U);
      expect(f.tr(0x6008, Access.Write)).toBe(0x201008);
      expect(f.read32(PT + 24) & (A | D)).toBe(A | D);
      f.cpu.cr0 |= CR0_WP;
      f.mmu.pagingModeChanged();
      expect(pfCode(f, 0x6008, Access.Write)).toBe(0x3);
      expect(f.tr(0x6008, Access.Read)).toBe(0x201008);
      f.cpu.cpl = 3;
      expect(pfCode(f, 0x6008, Access.Write)).toBe(0x7);
    });

    it('drops the entry of a page whose walk faulted (a #PF invalidates it)', () => {
      const f = setup();
      expect(f.tr(0x5000, Access.Read)).toBe(0x200000); // cached clean: a write will walk
      f.write32(PT + 20, 0);
      expect(pfCode(f, 0x5000, Access.Write)).toBe(0x2);
      expect(pfCode(f, 0x5000, Access.Read)).toBe(0x0);
    });

    it('follows a changed PTE after INVLPG', () => {
      const f = setup();
      expect(f.tr(0x5000, Access.Read)).toBe(0x200000);
      f.write32(PT + 20, 0x280000 | P | W | U);
      if (policy === 'nested') expect(f.tr(0x5000, Access.Read)).toBe(0x200000); // the TLB may keep the old one
      f.mmu.invlpg(0x5abc);
      expect(f.tr(0x5000, Access.Read)).toBe(0x280000);
      expect(f.mmu.counters.invlpgs).toBe(1);
    });
  });

  describe('32-bit paging, 4 MiB pages (CR4.PSE)', () => {
    function setup(features?: { pse36?: boolean; pat?: boolean }) {
      const f = fixture(policy, features ? { features: { maxPhysAddr: 36, pse36: features.pse36 ?? false, pat: features.pat ?? true } } : {});
      f.cpu.cr4 |= CR4_PSE;
      f.mmu.pagingModeChanged();
      f.write32(PD + 4, 0x800000 | P | W | U | PS); // linear 4-8 MiB -> physical 8-12 MiB
      return f;
    }

    it('maps 4 MiB pages, with A and D in the PDE', () => {
      const f = setup();
      expect(f.tr(0x401234, Access.Read)).toBe(0x801234);
      expect(f.tr(0x7ffffc, Access.Read)).toBe(0xbffffc);
      expect(f.read32(PD + 4) & (A | D)).toBe(A);
      expect(f.tr(0x500000, Access.Write)).toBe(0x900000);
      expect(f.read32(PD + 4) & (A | D)).toBe(A | D);
    });

    it('ignores PS without CR4.PSE (the PDE references a page table)', () => {
      const f = setup();
      f.cpu.cr4 &= ~CR4_PSE;
      f.mmu.pagingModeChanged();
      // PTE 1 of the "page table" at 0x800000 is zero: not present.
      expect(pfCode(f, 0x401234, Access.Read)).toBe(0);
      f.write32(0x800000 + 4, 0x300000 | P);
      expect(f.tr(0x401234, Access.Read)).toBe(0x300234);
    });

    it('raises RSVD #PF for bits 21:13 without PSE-36, and takes PAT (bit 12) as PAT', () => {
      const f = setup({ pse36: false });
      f.write32(PD + 8, 0xc00000 | P | W | U | PS | (1 << 13));
      f.write32(PD + 12, 0xc00000 | P | W | U | PS | (1 << 21));
      f.write32(PD + 16, 0xc00000 | P | W | U | PS | (1 << 12));
      f.cpu.cpl = 3;
      expect(pfCode(f, 0x800000, Access.Read)).toBe(0x0d);
      expect(pfCode(f, 0xc00000, Access.Write)).toBe(0x0f);
      expect(f.tr(0x1000000, Access.Read)).toBe(0xc00000);
      // A reserved-bit PDE is not used: no accessed flag.
      expect(f.read32(PD + 8) & A).toBe(0);
    });

    it('maps above 4 GiB with PSE-36 (bits 16:13), where there is no RAM', () => {
      const f = setup({ pse36: true });
      f.write32(PD + 8, 0x400000 | P | W | PS | (1 << 13)); // physical 1_0040_0000
      f.write32(PD + 12, 0x400000 | P | W | PS | (1 << 17)); // bit 17 is above MAXPHYADDR 36
      const pa = f.tr(0x812345, Access.Read);
      expect(pa).toBe(0x1_0041_2345);
      expect(f.mem.read8(pa as number)).toBe(0xff);
      expect(f.mem.tlb[0x812]! & TLB_NOT_RAM).toBe(TLB_NOT_RAM);
      expect(pfCode(f, 0xc00000, Access.Read)).toBe(0x09);
    });

    it('makes PTE bit 7 reserved only without PAT, and only with CR4.PSE', () => {
      const f = setup({ pat: false });
      f.write32(PD, PT | P | W | U);
      f.write32(PT + 4, 0x300000 | P | W | U | PS);
      f.write32(PD + 8, 0xc00000 | P | W | U | PS | (1 << 12));
      expect(pfCode(f, 0x1000, Access.Read)).toBe(0x09);
      expect(pfCode(f, 0x800000, Access.Read)).toBe(0x09);
      f.cpu.cr4 &= ~CR4_PSE;
      f.mmu.pagingModeChanged();
      expect(f.tr(0x1000, Access.Read)).toBe(0x300000);
    });

    it('drops every 4 KiB piece of a large page on INVLPG of any address in it', () => {
      const f = setup();
      expect(f.tr(0x400000, Access.Read)).toBe(0x800000);
      expect(f.tr(0x7ff000, Access.Read)).toBe(0xbff000);
      f.write32(PD + 4, 0xc00000 | P | W | U | PS);
      f.mmu.invlpg(0x400000);
      expect(f.tr(0x7ff000, Access.Read)).toBe(0xfff000);
      expect(f.tr(0x400000, Access.Read)).toBe(0xc00000);
    });
  });

  describe('PAE paging', () => {
    const PDPT = 0x10020; // CR3 bits 31:5: 32-byte aligned
    const PD0 = 0x11000, PT0 = 0x12000, PD3 = 0x13000;

    function setup(nxe = false) {
      const f = fixture(policy, { pae: true, cr3: PDPT });
      if (nxe) f.cpu.efer |= EFER_NXE;
      f.write64(PDPT, PD0 | P);
      f.write64(PDPT + 24, PD3 | P);
      f.write64(PD0, PT0 | P | W | U);
      f.write64(PT0 + 5 * 8, 0x300000 | P | W | U);
      f.write64(PD0 + 8, 0x400000 | P | W | U | PS); // linear 2-4 MiB -> physical 4-6 MiB
      f.loadCr3(PDPT);
      f.mmu.pagingModeChanged();
      return f;
    }

    it('walks PDPTE, PDE and PTE (4 KiB) and sets A/D in the low dwords', () => {
      const f = setup();
      f.cpu.cpl = 3;
      expect(f.tr(0x5123, Access.Read)).toBe(0x300123);
      expect(f.read32(PD0) & (A | D)).toBe(A);
      expect(f.read32(PT0 + 40) & (A | D)).toBe(A);
      expect(f.tr(0x5123, Access.Write)).toBe(0x300123);
      expect(f.read32(PT0 + 40) & (A | D)).toBe(A | D);
      expect(f.read32(PT0 + 44)).toBe(0);
      // PDPTEs have no accessed flag in PAE paging.
      expect(f.read32(PDPT) & A).toBe(0);
    });

    it('maps 2 MiB pages', () => {
      const f = setup();
      expect(f.tr(0x201234, Access.Read)).toBe(0x401234);
      expect(f.tr(0x3ffffc, Access.Write)).toBe(0x5ffffc);
      expect(f.read32(PD0 + 8) & (A | D)).toBe(A | D);
    });

    it('raises RSVD #PF for reserved bits of PDEs and PTEs', () => {
      const f = setup();
      f.write64(PT0 + 6 * 8, 0x301000 | P | W | U, 1 << 4); // bit 36: above MAXPHYADDR
      f.write64(PD0 + 16, 0x600000 | P | W | U | PS | (1 << 13)); // bits 20:13 of a 2 MiB PDE
      f.write64(PT0 + 7 * 8, 0x302000 | P | W | U, XD_HIGH); // XD without NXE is reserved
      f.write64(PD0 + 24, 0x600000 | P | W | U | PS | (1 << 12)); // PAT: not reserved
      f.write64(PT0 + 8 * 8, 0x303000 | P | W | U, 0xf); // bits 35:32: an address above 4 GiB
      f.write64(PD0 + 32, 0x19000 | P | W | U, 1 << 30); // bit 62 of a PDE that references a page table
      f.write64(0x19000, 0x304000 | P | W | U);
      f.cpu.cpl = 3;
      expect(pfCode(f, 0x800000, Access.Read)).toBe(0x0d);
      expect(pfCode(f, 0x6000, Access.Read)).toBe(0x0d);
      expect(pfCode(f, 0x400000, Access.Write)).toBe(0x0f);
      expect(pfCode(f, 0x7000, Access.Read)).toBe(0x0d);
      expect(pfCode(f, 0x7000, Access.Fetch)).toBe(0x0d); // no I/D without NXE
      expect(f.tr(0x600000, Access.Read)).toBe(0x600000);
      const pa = f.tr(0x8010, Access.Read) as number;
      expect(pa).toBe(0xf_0030_3010);
      expect(f.mem.read32(pa)).toBe(-1);
    });

    it('honours XD with EFER.NXE: fetch faults report I/D, reads and writes are allowed', () => {
      const f = setup(true);
      f.write64(PT0 + 6 * 8, 0x301000 | P | W | U, XD_HIGH);
      f.write64(PD0 + 16, 0x18000 | P | W | U, XD_HIGH); // XD at the PDE covers its whole table
      f.write64(0x18000, 0x302000 | P | W | U);
      f.write64(PD0 + 24, 0x600000 | P | W | U | PS, XD_HIGH); // a 2 MiB page with XD
      expect(f.tr(0x6000, Access.Read)).toBe(0x301000);
      expect(f.tr(0x612345, Access.Read)).toBe(0x612345);
      expect(pfCode(f, 0x612345, Access.Fetch)).toBe(0x11);
      expect(f.tr(0x6000, Access.Write)).toBe(0x301000);
      expect(pfCode(f, 0x6000, Access.Fetch)).toBe(0x11);
      expect(pfCode(f, 0x400000, Access.Fetch)).toBe(0x11);
      f.cpu.cpl = 3;
      expect(pfCode(f, 0x6000, Access.Fetch)).toBe(0x15);
      expect(f.tr(0x5000, Access.Fetch)).toBe(0x300000);
      // Not present, fetch: I/D with P = 0.
      expect(pfCode(f, 0x9000, Access.Fetch)).toBe(0x14);
      expect(pfCode(f, 0x40000000, Access.Fetch)).toBe(0x14);
    });

    it('faults with P = 0 through a not-present PDPTE', () => {
      const f = setup();
      expect(pfCode(f, 0x40000000, Access.Read)).toBe(0);
      expect(pfCode(f, 0x7fffffff, Access.Write)).toBe(2);
    });

    it('raises #GP(0) on the CR3 load for reserved PDPTE bits, loading nothing', () => {
      const f = setup();
      const other = 0x14000;
      f.write64(other, PD0 | P);
      f.write64(other + 8, 0x15000 | P | W); // bit 1 is reserved in a PDPTE
      let err: unknown;
      try { f.loadCr3(other); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(GuestFault);
      expect(err).toMatchObject({ vector: 13, errorCode: 0 });
      expect(f.cpu.cr3).toBe(PDPT);
      expect(f.tr(0x5000, Access.Read)).toBe(0x300000);
      for (const [lo, hi] of [[0x15000 | P | 0x20, 0], [0x15000 | P, 1 << 4], [0x15000 | P | 0x100, 0]]) {
        f.write64(other + 8, lo!, hi);
        expect(() => f.mmu.loadPdptes(other)).toThrow(GuestFault);
      }
      // Not present: the other bits are free for software. Bits 35:32 are address bits.
      f.write64(other + 8, 0xfffffffe, 0xffffffff);
      f.write64(other + 16, 0x16000 | P | 0x18, 0xf); // PWT and PCD are allowed
      f.loadCr3(other);
      expect(f.cpu.cr3).toBe(other);
      expect(f.tr(0x5000, Access.Read)).toBe(0x300000);
      // The page directory of PDPTE 2 is above RAM: all ones, so reserved bits are set.
      expect(pfCode(f, 0x80000000, Access.Read)).toBe(0x09);
    });

    it('lets a CR3 writer commit first: cr3Loaded() raises the #GP(0) before changing anything', () => {
      const f = setup();
      expect(f.tr(0x5000, Access.Read)).toBe(0x300000);
      const walks = f.mmu.counters.walks;
      f.write64(0x14000, PD0 | P, 1 << 4); // bit 36 of a PDPTE
      f.cpu.cr3 = 0x14000;
      expect(() => f.mmu.cr3Loaded()).toThrow(GuestFault);
      f.cpu.cr3 = PDPT; // as the writer puts it back
      expect(f.tr(0x5000, Access.Read)).toBe(0x300000);
      expect(f.mmu.counters.walks).toBe(walks);
      // Entering PAE paging (CR4.PAE set with CR0.PG) checks the PDPTEs the same way.
      f.cpu.cr4 &= ~CR4_PAE;
      f.mmu.pagingModeChanged();
      f.cpu.cr3 = 0x14000;
      f.cpu.cr4 |= CR4_PAE;
      expect(() => f.mmu.pagingModeChanged()).toThrow(GuestFault);
    });

    it('uses the PDPTE registers, not memory, until CR3 is loaded again', () => {
      const f = setup();
      f.write64(0x16000, 0x17000 | P | W | U);
      f.write64(0x17000 + 5 * 8, 0x500000 | P | W | U);
      f.write64(PDPT, 0x16000 | P);
      expect(f.tr(0x5000, Access.Read)).toBe(0x300000);
      f.loadCr3(PDPT);
      expect(f.tr(0x5000, Access.Read)).toBe(0x500000);
    });
  });

  describe('global pages (CR4.PGE)', () => {
    function setup(pge: boolean) {
      const f = fixture(policy);
      if (pge) f.cpu.cr4 |= CR4_PGE;
      f.mmu.pagingModeChanged();
      f.write32(PD, PT | P | W | U);
      f.write32(PT + 5 * 4, 0x200000 | P | W | G);
      f.write32(PT + 6 * 4, 0x201000 | P | W);
      expect(f.tr(0x5000, Access.Read)).toBe(0x200000);
      expect(f.tr(0x6000, Access.Read)).toBe(0x201000);
      return f;
    }

    if (policy === 'nested') {
      it('keeps global entries across CR3 loads, drops them on INVLPG and on CR4.PGE changes', () => {
        const f = setup(true);
        f.write32(PT + 5 * 4, 0x300000 | P | W | G);
        f.write32(PT + 6 * 4, 0x301000 | P | W);
        f.loadCr3(PD);
        expect(f.tr(0x5000, Access.Read)).toBe(0x200000);
        expect(f.tr(0x6000, Access.Read)).toBe(0x301000);
        expect(f.mmu.counters.globalsKept).toBe(1);
        f.mmu.invlpg(0x5000);
        expect(f.tr(0x5000, Access.Read)).toBe(0x300000);
        f.write32(PT + 5 * 4, 0x200000 | P | W | G);
        f.cpu.cr4 &= ~CR4_PGE;
        f.mmu.pagingModeChanged();
        expect(f.tr(0x5000, Access.Read)).toBe(0x200000);
      });

      it('ignores G without CR4.PGE', () => {
        const f = setup(false);
        f.write32(PT + 5 * 4, 0x300000 | P | W | G);
        f.loadCr3(PD);
        expect(f.tr(0x5000, Access.Read)).toBe(0x300000);
      });
    } else {
      it('is coherent with the tables: a written PTE takes effect at once, global or not', () => {
        const f = setup(true);
        f.write32(PT + 5 * 4, 0x300000 | P | W | G);
        f.write32(PT + 6 * 4, 0x301000 | P | W);
        expect(f.tr(0x5000, Access.Read)).toBe(0x300000);
        expect(f.tr(0x6000, Access.Read)).toBe(0x301000);
        f.loadCr3(PD);
        expect(f.tr(0x5000, Access.Read)).toBe(0x300000);
      });
    }
  });

  describe('without paging', () => {
    it('maps linear to physical one to one, and applies the harness XD bitmap', () => {
      const f = fixture(policy);
      f.cpu.cr0 = f.cpu.cr0 & ~(1 << 31);
      f.mmu.pagingModeChanged();
      expect(f.tr(0x123456, Access.Write)).toBe(0x123456);
      const xd = new Uint8Array(1 << 20);
      xd[0x123] = 1;
      f.mmu.executeDisable = xd;
      f.mmu.flush();
      expect(f.tr(0x123456, Access.Read)).toBe(0x123456);
      expect(pfCode(f, 0x123456, Access.Fetch)).toBe(0x11);
    });
  });

  it('reports I/D for fetch faults when the harness XD bitmap is set, with paging', () => {
    const f = fixture(policy);
    f.mmu.executeDisable = new Uint8Array(1 << 20);
    f.write32(PD, PT | P | W | U);
    f.write32(PT + 4, 0x200000 | P | W | U);
    f.mmu.executeDisable[1] = 1;
    expect(pfCode(f, 0x3000, Access.Fetch)).toBe(0x10);
    expect(pfCode(f, 0x1000, Access.Fetch)).toBe(0x11);
    expect(f.tr(0x1000, Access.Read)).toBe(0x200000);
  });
});

describe('paging-mode bookkeeping', () => {
  it('drops every translation when CR0/CR4 change behind the MMU (noticed on the next miss)', () => {
    const f = fixture('nested');
    f.write32(PD, PT | P | W | U);
    f.write32(PT + 4, 0x200000 | P | U);
    expect(f.tr(0x1000, Access.Write)).toBe(0x200000);
    f.cpu.cr0 |= CR0_WP;
    expect(f.tr(0x2000, Access.Read)).toBeInstanceOf(GuestFault); // a miss notices the mode change
    expect(f.mmu.counters.modeChanges).toBe(1);
    expect(pfCode(f, 0x1000, Access.Write)).toBe(0x3);
  });
});
