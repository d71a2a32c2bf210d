/**
 * Both paging policies give the same results on the same randomized
 * scenarios: 32-bit (with or without PSE, PGE, WP) and PAE (with or without
 * NXE, PGE, WP) page tables for three address spaces sharing kernel tables,
 * then a random sequence of accesses (every access kind, CPL 0 and 3,
 * implicit supervisor accesses), guest writes to PTEs, PDEs and PDPTEs
 * (random present, rights, A/D, G, XD, large-page and reserved bits),
 * CR3 switches, INVLPG and paging-mode changes. Every translation or fault
 * (vector, error code, CR2), and the paging structures' final contents
 * (accessed and dirty flags), must agree between 'nested', 'shadow', and
 * 'shadow' keeping only two address spaces (so evictions happen).
 *
 * The scenarios follow the rules software must follow for a processor's
 * TLB (SDM vol. 3, 4.10.4): after writing an entry, the guest invalidates
 * every page the entry may translate (INVLPG of each page it uses; other
 * address spaces are flushed by their next CR3 load); global mappings are
 * the same in every address space. Under those rules the two policies may
 * differ in how much they walk, never in what the guest sees. (Where a
 * guest breaks them, both are still correct: the nested TLB may keep a
 * stale entry, the shadow never does; test/runtime/paging-shadow.test.ts.)
 *
 *   npx vitest run test/runtime/paging-property.test.ts
 */
import { describe, expect, it } from 'vitest';
import { CR0_WP, CR4_PGE, CR4_PSE } from '../../runtime/cpu.js';
import { GuestFault } from '../../runtime/exceptions.js';
import { PhysicalMemory } from '../../runtime/memory.js';
import { Access, type MmuOptions, type PagingPolicyName } from '../../runtime/mmu.js';
import { A, D, EFER_NXE, fixture, G, P, PS, rng, U, W, XD_HIGH } from './paging-fixture.js';

const SPACES = 3;
const PAGES_PER_TABLE = 8;
const TABLES_START = 0x100000;
const TABLES_END = 0x140000;

interface Slot {
  /** Physical addresses of the entry's copies (32-bit kernel PDEs live in every page directory). */
  readonly pas: readonly number[];
  readonly kind: 'pte' | 'pde' | 'pdpte';
  readonly kernel: boolean;
  /** For PDEs: the page table it references when not a large page. */
  readonly table?: number;
  /** For PDEs: may it map a large page (only the second PDE of each pair, to keep tables reachable). */
  readonly large?: boolean;
}

type Op =
  | { kind: 'access'; linear: number; access: Access; cpl: number; supervisor: boolean }
  | { kind: 'write'; slot: number; lo: number; hi: number }
  | { kind: 'cr3'; space: number }
  | { kind: 'mode'; bit: 'wp' | 'pge' | 'nxe' }
  | { kind: 'invlpg'; linear: number };

interface Scenario {
  readonly pae: boolean;
  readonly cr4: number;
  readonly wp: boolean;
  readonly nxe: boolean;
  readonly slots: readonly Slot[];
  /** Initial values of the slots. */
  readonly initial: ReadonlyArray<{ lo: number; hi: number }>;
  readonly cr3s: readonly number[];
  /** Linear pages the scenario uses (every access, and the INVLPGs after a write). */
  readonly pages: readonly number[];
  readonly ops: readonly Op[];
}

function makeScenario(seed: number): Scenario {
  const r = rng(seed);
  const chance = (p: number): boolean => r() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const pae = chance(0.5);
  const pge = chance(0.5);
  const pse = !pae && chance(0.7);
  const nxe = pae && chance(0.6);
  const wp = chance(0.5);
  const cr4 = (pae ? 0x20 : 0) | (pge ? CR4_PGE : 0) | (pse ? CR4_PSE : 0);
  const entry = pae ? 8 : 4;
  const slots: Slot[] = [];
  const cr3s: number[] = [];
  const userPd = (k: number): number => 0x100000 + k * 0x1000;
  const kernelPdPae = 0x104000;
  const userPt = (k: number, j: number): number => 0x110000 + (2 * k + j) * 0x1000;
  const kernelPt = (j: number): number => 0x120000 + j * 0x1000;
  // Linear bases: user tables j = 0, 1; kernel tables j = 0, 1 at 3 GiB.
  const userBase = (j: number): number => j * (pae ? 0x200000 : 0x400000);
  const kernelBase = (j: number): number => (0xc0000000 + j * 0x400000) >>> 0;
  const pdeIndex = (linear: number): number => (pae ? (linear >>> 21) & 0x1ff : linear >>> 22);
  for (let k = 0; k < SPACES; k++) {
    if (pae) {
      const pdpt = 0x130000 + k * 0x20;
      cr3s.push(pdpt);
      slots.push({ pas: [pdpt], kind: 'pdpte', kernel: false, table: userPd(k) });
    } else {
      cr3s.push(userPd(k));
    }
    for (let j = 0; j < 2; j++) {
      slots.push({ pas: [userPd(k) + entry * pdeIndex(userBase(j))], kind: 'pde', kernel: false, table: userPt(k, j), large: j === 1 && (pae || pse) });
      for (let i = 0; i < PAGES_PER_TABLE; i++) slots.push({ pas: [userPt(k, j) + entry * i], kind: 'pte', kernel: false });
    }
  }
  for (let j = 0; j < 2; j++) {
    const copies = pae ? [kernelPdPae + entry * pdeIndex(kernelBase(j))] : cr3s.map((pd) => pd + entry * pdeIndex(kernelBase(j)));
    slots.push({ pas: copies, kind: 'pde', kernel: true, table: kernelPt(j), large: j === 1 && (pae || pse) });
    for (let i = 0; i < PAGES_PER_TABLE; i++) slots.push({ pas: [kernelPt(j) + entry * i], kind: 'pte', kernel: true });
  }
  const pages: number[] = [];
  for (let j = 0; j < 2; j++) {
    for (let i = 0; i < PAGES_PER_TABLE; i++) pages.push(userBase(j) + i * 0x1000, kernelBase(j) + i * 0x1000);
    // A page of the large-page region beyond the page table's eight entries.
    pages.push(userBase(j) + 0x1ff000, kernelBase(j) + 0x1ff000);
  }
  pages.push(0x40000000, 0x80000000); // under not-present PDEs / PDPTEs

  const value = (s: Slot): { lo: number; hi: number } => {
    let lo = 0;
    let hi = 0;
    if (s.kind === 'pdpte') {
      // Another space's user directory sometimes; rarely a reserved bit (#GP on the load).
      lo = (chance(0.8) ? s.table! : userPd(Math.floor(r() * SPACES))) | P;
      if (chance(0.05)) lo |= 0x2;
      return { lo, hi };
    }
    const leaf = s.kind === 'pte' || (s.large! && chance(0.5));
    if (!leaf) {
      lo = s.table! | (chance(0.95) ? P : 0) | (chance(0.8) ? W : 0) | (chance(s.kernel ? 0.3 : 0.9) ? U : 0);
      // Kernel PDEs are alike in every address space and already accessed (see the file comment).
      if (s.kernel || chance(0.5)) lo |= A;
      if (pae && chance(0.1)) hi |= XD_HIGH;
    } else {
      const large = s.kind === 'pde';
      if (large) lo = (chance(0.9) ? 0x400000 : 0x800000) + (pae && chance(0.5) ? 0x200000 : 0);
      else lo = (0x200 + Math.floor(r() * 0x200)) << 12;
      lo |= (chance(0.9) ? P : 0) | (chance(0.6) ? W : 0) | (chance(s.kernel ? 0.2 : 0.85) ? U : 0);
      lo |= (chance(0.5) ? A : 0) | (chance(0.3) ? D : 0);
      if (s.kernel && chance(0.6)) lo |= G;
      if (large) {
        lo |= PS;
        if (chance(0.05)) lo |= 1 << 13; // reserved in a 4 MiB page without PSE-36 and in a 2 MiB page
        if (s.kernel && !pae) lo |= A | D; // one copy per address space: keep their flags out of the comparison
      } else if (chance(0.05)) {
        lo |= PS; // PAT: not reserved
      }
      if (pae) {
        if (chance(0.25)) hi |= XD_HIGH; // reserved without NXE
        if (chance(0.03)) hi |= 1 << 4; // above MAXPHYADDR
        else if (chance(0.03)) hi |= 1; // above 4 GiB: not RAM
      }
    }
    return { lo: lo | 0, hi: hi | 0 };
  };

  const initial = slots.map((s) => value(s));
  const ops: Op[] = [];
  for (let n = 0; n < 300; n++) {
    const x = r();
    if (x < 0.7) {
      const linear = (pick(pages) + (Math.floor(r() * 1024) << 2)) >>> 0;
      const cpl = chance(0.5) ? 3 : 0;
      ops.push({ kind: 'access', linear, access: pick([Access.Read, Access.Write, Access.Fetch]), cpl, supervisor: cpl === 3 && chance(0.1) });
    } else if (x < 0.82) {
      const slot = Math.floor(r() * slots.length);
      ops.push({ kind: 'write', slot, ...value(slots[slot]!) });
    } else if (x < 0.94) {
      ops.push({ kind: 'cr3', space: Math.floor(r() * SPACES) });
    } else if (x < 0.97) {
      ops.push({ kind: 'mode', bit: pick(pae ? ['wp', 'pge', 'nxe'] as const : ['wp', 'pge'] as const) });
    } else {
      ops.push({ kind: 'invlpg', linear: pick(pages) });
    }
  }
  return { pae, cr4, wp, nxe, slots, initial, cr3s, pages, ops };
}

/** 8 MiB of guest memory, reused by every run. */
const memory = new PhysicalMemory(8 << 20);

/** Run a scenario under one policy: the outcome of the initial mode load and of every op, and the paging structures at the end. */
function run(sc: Scenario, policy: PagingPolicyName, options: Omit<MmuOptions, 'policy'> = {}): { outcomes: string[]; tables: Uint8Array; walks: number } {
  const f = fixture(policy, { ...options, mem: memory, pae: sc.pae, cr3: sc.cr3s[0]! });
  const { cpu, mmu } = f;
  const entry = sc.pae ? 8 : 4;
  const write = (pa: number, lo: number, hi: number): void => {
    if (entry === 8) f.write64(pa, lo, hi);
    else f.write32(pa, lo);
  };
  sc.slots.forEach((s, k) => { for (const pa of s.pas) write(pa, sc.initial[k]!.lo, sc.initial[k]!.hi); });
  // PDPTEs 1 and 2 are not present; 3 is the shared kernel directory.
  if (sc.pae) for (const pdpt of sc.cr3s) f.write64(pdpt + 24, 0x104000 | P);
  cpu.cr4 = sc.cr4;
  if (sc.wp) cpu.cr0 |= CR0_WP;
  if (sc.nxe) cpu.efer |= EFER_NXE;
  const outcomes: string[] = [];
  const attempt = (g: () => string): void => {
    try {
      outcomes.push(g());
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      outcomes.push(`#${e.vector}:${e.errorCode.toString(16)}:${e.cr2.toString(16)}`);
    }
  };
  attempt(() => { mmu.pagingModeChanged(); return 'mode'; });
  for (const op of sc.ops) {
    switch (op.kind) {
      case 'access':
        cpu.cpl = op.cpl;
        attempt(() => mmu.translate(op.linear, op.access, op.supervisor).toString(16));
        break;
      case 'write': {
        const s = sc.slots[op.slot]!;
        for (const pa of s.pas) write(pa, op.lo, op.hi);
        // As the guest must: invalidate every page the entry may translate; a PDPTE needs a CR3 load.
        for (const p of sc.pages) mmu.invlpg(p);
        if (s.kind === 'pdpte') attempt(() => { f.loadCr3(cpu.cr3); return 'cr3'; });
        else outcomes.push('write');
        break;
      }
      case 'cr3':
        attempt(() => { f.loadCr3(sc.cr3s[op.space]!); return 'cr3'; });
        break;
      case 'mode':
        if (op.bit === 'wp') cpu.cr0 ^= CR0_WP;
        else if (op.bit === 'pge') cpu.cr4 ^= CR4_PGE;
        else cpu.efer ^= EFER_NXE;
        attempt(() => { mmu.pagingModeChanged(); return 'mode'; });
        break;
      case 'invlpg':
        mmu.invlpg(op.linear);
        outcomes.push('invlpg');
        break;
    }
  }
  return { outcomes, tables: f.mem.u8.slice(TABLES_START, TABLES_END), walks: mmu.counters.walks };
}

describe('nested and shadow paging agree on randomized page-table scenarios', () => {
  const SEEDS = 150;
  it(`agree on ${SEEDS} scenarios (translations, faults, accessed and dirty flags)`, () => {
    let shadowWalks = 0;
    let nestedWalks = 0;
    let faults = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const sc = makeScenario(seed);
      const nested = run(sc, 'nested');
      const shadow = run(sc, 'shadow');
      const small = run(sc, 'shadow', { shadowSpaces: 2 });
      for (const [name, other] of [['shadow', shadow], ['shadow (2 spaces)', small]] as const) {
        const at = nested.outcomes.findIndex((o, k) => o !== other.outcomes[k]);
        if (at >= 0) {
          const op = at === 0 ? 'initial mode' : JSON.stringify(sc.ops[at - 1]);
          expect.fail(`seed ${seed} (${sc.pae ? 'PAE' : '32-bit'}): ${name} differs at op ${at - 1} ${op}: nested ${nested.outcomes[at]}, ${name} ${other.outcomes[at]}`);
        }
        const byte = nested.tables.findIndex((b, k) => b !== other.tables[k]);
        if (byte >= 0) expect.fail(`seed ${seed}: paging structures differ at ${(TABLES_START + byte).toString(16)} (nested ${nested.tables[byte]}, ${name} ${other.tables[byte]})`);
      }
      shadowWalks += shadow.walks;
      nestedWalks += nested.walks;
      faults += nested.outcomes.filter((o) => o.startsWith('#')).length;
    }
    // The scenarios must exercise both outcomes, and the shadow must have saved walks.
    expect(faults).toBeGreaterThan(SEEDS * 10);
    expect(shadowWalks).toBeLessThan(nestedWalks);
  }, 120_000);
});
