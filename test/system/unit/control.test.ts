/**
 * Control and debug registers, the machine status word, INVLPG, INVD and
 * WBINVD, and mode switches through CR0.PE (SDM vol. 2 instruction pages;
 * vol. 3, 2.5, 9.9, 17.2). Expected values are worked out from the manual.
 */
import { describe, expect, it, vi } from 'vitest';
import { CpuState, CR0_PE, CR0_PG } from '../../../runtime/cpu.js';
import { CPU_MODELS, Feature } from '../../../runtime/cpu-model.js';
import { GuestFault, Vector } from '../../../runtime/exceptions.js';
import { PhysicalMemory } from '../../../runtime/memory.js';
import { debugStatusOf, recordDebugStatus } from '../../../runtime/system/debug.js';
import { Seg } from '../../../translator/table/types.js';
import { asm, faultOf, machine } from './segments-harness.js';

const GP = Vector.GP, UD = Vector.UD;
/** CR0 of the harness's protected-mode machines: the reset value (CD, NW, ET) plus PE. */
const CR0_PM = 0x60000011;

/** Identity-map the first 4 MiB (page directory at 0x30000) and map linear 4 MiB + page k to `frames[k]`. */
function pageTables(m: ReturnType<typeof machine>, frames: number[] = []): void {
  const pd = 0x30000, pt0 = 0x31000, pt1 = 0x32000;
  m.write32(pd, pt0 | 3);
  m.write32(pd + 4, pt1 | 3);
  for (let p = 0; p < 1024; p++) m.write32(pt0 + p * 4, (p << 12) | 3);
  frames.forEach((f, k) => m.write32(pt1 + k * 4, f | 3));
}

describe('MOV to and from CR0', () => {
  it('ignores reserved bits (they read 0) and keeps ET set', () => {
    const m = machine('pm32');
    expect(m.run(asm('mov eax, 0x7ffaffc1\nmov cr0, eax\nmov ebx, cr0'))).toBeNull();
    expect(m.cpu.regs[3]).toBe(0x60000011);
    expect(m.cpu.cr0).toBe(0x60000011);
  });

  const invalid: Array<[string, number]> = [
    ['PG without PE', 0x80000010 | 0],
    ['PG without PE (from protected mode)', 0xe0000010 | 0],
    ['NW without CD', 0x20000011],
  ];
  for (const [name, value] of invalid) {
    it(`${name} is #GP(0) and changes nothing`, () => {
      const m = machine('pm32');
      const f = m.fault(asm(`mov eax, ${value}\nmov cr0, eax`));
      expect(faultOf(f)).toEqual({ vector: GP, errorCode: 0 });
      expect(m.cpu.cr0).toBe(CR0_PM);
      expect(m.cpu.mode.protectedMode).toBe(true);
    });
  }

  it('accepts PG with PE, and CD without NW', () => {
    const m = machine('pm32');
    pageTables(m);
    m.cpu.cr3 = 0x30000;
    expect(m.run(asm('mov eax, 0xc0000031\nmov cr0, eax'))).toBeNull();
    expect(m.cpu.cr0).toBe(0xc0000031 | 0);
    expect(m.cpu.paging).toBe(true);
  });

  it('needs CPL 0: #GP(0) at CPL 3 and in virtual-8086 mode, reads and writes alike', () => {
    expect(faultOf(machine('pm32', 3).fault(asm('mov eax, cr0')))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(machine('pm32', 3).fault(asm('mov cr0, eax')))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(machine('v86').fault(asm('mov eax, cr0', 16)))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(machine('v86').fault(asm('mov cr3, eax', 16)))).toEqual({ vector: GP, errorCode: 0 });
  });

  it('CR1 and CR5-CR7 are #UD', () => {
    for (const bytes of [[0x0f, 0x20, 0xc8], [0x0f, 0x22, 0xc8], [0x0f, 0x20, 0xe8], [0x0f, 0x22, 0xf8]]) {
      expect(faultOf(machine('pm32').fault(Uint8Array.from(bytes)))).toEqual({ vector: UD, errorCode: 0 });
    }
  });
});

describe('mode switches through CR0.PE', () => {
  it('setting PE keeps every real-mode segment cache until reloaded; CPL stays 0', () => {
    const m = machine('real');
    m.cpu.setSeg(Seg.DS, { selector: 0x1234, base: 0x12340, limit: 0xffff, access: 0x93, big: false, unusable: false });
    const before = m.cpu.segs.map((s) => ({ ...s }));
    m.write32(0x12350, 0x600d);
    expect(m.run(asm('mov eax, cr0\nor al, 1\nmov cr0, eax\nmov bx, [0x10]', 16))).toBeNull();
    expect(m.cpu.segs).toEqual(before);
    expect(m.cpu.mode).toEqual({ code32: false, stack32: false, cpl: 0, protectedMode: true, v86: false });
    expect(m.cpu.regs[3]! & 0xffff).toBe(0x600d);
  });

  it('clearing PE keeps the protected-mode caches: 32-bit code keeps running as 32-bit code', () => {
    const m = machine('pm32');
    const before = m.cpu.segs.map((s) => ({ ...s }));
    expect(m.run(asm('mov eax, cr0\nand al, 0xfe\nmov cr0, eax\nmov ebx, 0x12345678\nmov ecx, [0x200000]'))).toBeNull();
    expect(m.cpu.mode).toEqual({ code32: true, stack32: true, cpl: 0, protectedMode: false, v86: false });
    expect(m.cpu.segs).toEqual(before);
    expect(m.cpu.regs[3]).toBe(0x12345678);
  });

  it('LMSW sets PE (entering protected mode) but cannot clear it', () => {
    const m = machine('real');
    expect(m.run(asm('mov ax, 0xfffb\nlmsw ax', 16))).toBeNull();
    expect(m.cpu.cr0).toBe(0x6000001b);
    expect(m.cpu.mode.protectedMode).toBe(true);
    m.write32(0x3000, 0xfff0);
    expect(m.run(asm('lmsw [0x3000]', 16))).toBeNull();
    expect(m.cpu.cr0).toBe(0x60000011);
    expect(m.cpu.mode.protectedMode).toBe(true);
  });

  it('LMSW and CLTS need CPL 0', () => {
    expect(faultOf(machine('pm32', 3).fault(asm('lmsw ax')))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(machine('v86').fault(asm('lmsw ax', 16)))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(machine('pm32', 3).fault(asm('clts')))).toEqual({ vector: GP, errorCode: 0 });
  });

  it('CLTS clears TS and nothing else', () => {
    const m = machine('pm32');
    m.cpu.cr0 |= 0xe; // MP, EM, TS
    expect(m.run(asm('clts'))).toBeNull();
    expect(m.cpu.cr0).toBe(CR0_PM | 0x6);
  });
});

describe('SMSW', () => {
  it('stores CR0 at any CPL: all of it to a 32-bit register, the low word to a 16-bit register or memory', () => {
    const m = machine('pm32', 3);
    m.cpu.regs[1] = 0x12345678;
    m.mem.u8.fill(0xee, 0x3000, 0x3004);
    expect(m.run(asm('smsw eax\nsmsw cx\nsmsw [0x3000]'))).toBeNull();
    expect(m.cpu.regs[0]).toBe(CR0_PM);
    expect(m.cpu.regs[1]).toBe(0x12340011);
    expect([...m.mem.u8.subarray(0x3000, 0x3004)]).toEqual([0x11, 0x00, 0xee, 0xee]);
  });

  it('works in real and virtual-8086 mode', () => {
    const r = machine('real');
    expect(r.run(asm('smsw ax', 16))).toBeNull();
    expect(r.cpu.regs[0]! & 0xffff).toBe(0x0010);
    const v = machine('v86');
    expect(v.run(asm('smsw ax', 16))).toBeNull();
    expect(v.cpu.regs[0]! & 0xffff).toBe(0x0011);
  });
});

describe('MOV to and from CR2, CR3 and CR4', () => {
  it('CR2 and CR3 hold what was written', () => {
    const m = machine('pm32');
    expect(m.run(asm('mov eax, 0xdeadbeef\nmov cr2, eax\nmov eax, 0x12345fff\nmov cr3, eax\nmov ebx, cr2\nmov ecx, cr3'))).toBeNull();
    expect(m.cpu.regs[3]! >>> 0).toBe(0xdeadbeef);
    expect(m.cpu.regs[1]).toBe(0x12345fff);
  });

  it('a CR3 load tells the MMU (even with the same value); a refused load leaves CR3 unchanged', () => {
    const m = machine('pm32');
    const cr3Loaded = vi.spyOn(m.interp.mmu, 'cr3Loaded');
    expect(m.run(asm('mov eax, 0x30000\nmov cr3, eax\nmov cr3, eax'))).toBeNull();
    expect(cr3Loaded).toHaveBeenCalledTimes(2);
    cr3Loaded.mockImplementationOnce(() => { throw new GuestFault(GP, 0); });
    expect(faultOf(m.fault(asm('mov eax, 0x40000\nmov cr3, eax')))).toEqual({ vector: GP, errorCode: 0 });
    expect(m.cpu.cr3).toBe(0x30000);
  });

  it('CR4 takes the bits of the default model\'s features: TSD (TSC), PSE, PAE, PGE, OSFXSR (FXSR)', () => {
    const m = machine('pm32');
    for (const bit of [2, 4, 5, 7, 9]) {
      expect(m.run(asm(`mov eax, ${1 << bit}\nmov cr4, eax\nmov ebx, cr4`)), `bit ${bit}`).toBeNull();
      expect(m.cpu.regs[3]).toBe(1 << bit);
    }
    expect(m.run(asm('mov eax, 0x2b4\nmov cr4, eax'))).toBeNull();
    expect(m.cpu.cr4).toBe(0x2b4);
  });

  it('a 1 in a CR4 bit the model lacks (VME, PVI, DE, MCE, PCE, OSXMMEXCPT, later bits) is #GP(0) and changes nothing', () => {
    for (const bit of [0, 1, 3, 6, 8, 10, 11, 12, 13, 14, 16, 17, 18, 20, 21, 22, 31]) {
      const m = machine('pm32');
      m.cpu.cr4 = 0x10;
      expect(faultOf(m.fault(asm(`mov eax, ${(1 << bit) | 0x10}\nmov cr4, eax`))), `bit ${bit}`).toEqual({ vector: GP, errorCode: 0 });
      expect(m.cpu.cr4).toBe(0x10);
    }
  });

  it('a model reporting VME, DE, MCE and SSE has VME, PVI, DE, MCE and OSXMMEXCPT (PCE never)', () => {
    const model = { ...CPU_MODELS.i686!, features: CPU_MODELS.i686!.features | Feature.VME | Feature.DE | Feature.MCE | Feature.SSE };
    const m = machine('pm32', 0, model);
    expect(m.run(asm('mov eax, 0x6ff\nmov cr4, eax'))).toBeNull();
    expect(m.cpu.cr4).toBe(0x6ff);
    expect(faultOf(m.fault(asm('mov eax, 0x100\nmov cr4, eax')))).toEqual({ vector: GP, errorCode: 0 });
    const bare = machine('pm32', 0, { ...CPU_MODELS.i686!, features: Feature.FPU });
    expect(faultOf(bare.fault(asm('mov eax, 0x10\nmov cr4, eax')))).toEqual({ vector: GP, errorCode: 0 });
  });

  it('is #GP(0) at CPL 3', () => {
    expect(faultOf(machine('pm32', 3).fault(asm('mov eax, cr4')))).toEqual({ vector: GP, errorCode: 0 });
  });
});

describe('paging-mode changes reach the MMU', () => {
  const cases: Array<[string, string, boolean]> = [
    ['CR0.PG set', 'mov eax, 0xe0000011\nmov cr0, eax', true],
    ['CR0.WP set', 'mov eax, 0x60010011\nmov cr0, eax', true],
    ['CR0.PE cleared', 'mov eax, 0x60000010\nmov cr0, eax', true],
    ['CR0.TS, MP, EM, NE, AM set', 'mov eax, 0x6004003f\nmov cr0, eax', false],
    ['CR0.CD and NW cleared', 'mov eax, 0x00000011\nmov cr0, eax', false],
    ['CR0 rewritten unchanged', 'mov eax, cr0\nmov cr0, eax', false],
    ['CR4.PSE set', 'mov eax, 0x10\nmov cr4, eax', true],
    ['CR4.PAE set', 'mov eax, 0x20\nmov cr4, eax', true],
    ['CR4.PGE set', 'mov eax, 0x80\nmov cr4, eax', true],
    ['CR4.TSD and OSFXSR set', 'mov eax, 0x204\nmov cr4, eax', false],
    ['LMSW setting TS', 'mov ax, 9\nlmsw ax', false],
    ['CLTS', 'clts', false],
  ];
  for (const [name, source, changed] of cases) {
    it(`${name}: ${changed ? '' : 'no '}pagingModeChanged()`, () => {
      const m = machine('pm32');
      pageTables(m);
      m.cpu.cr3 = 0x30000;
      const hook = vi.spyOn(m.interp.mmu, 'pagingModeChanged');
      expect(m.run(asm(source))).toBeNull();
      expect(hook).toHaveBeenCalledTimes(changed ? 1 : 0);
    });
  }

  it('after CR0.PG is set, accesses go through the page tables', () => {
    const m = machine('pm32');
    pageTables(m, [0x5000]);
    m.write32(0x5000, 0x7777);
    m.write32(0x400000, 0x1111);
    expect(m.run(asm('mov eax, 0x30000\nmov cr3, eax\nmov eax, [0x400000]\nmov ebx, cr0\nbts ebx, 31\nmov cr0, ebx\nmov ecx, [0x400000]'))).toBeNull();
    expect(m.cpu.regs[0]).toBe(0x1111);
    expect(m.cpu.regs[1]).toBe(0x7777);
    expect(m.cpu.cr0 & CR0_PG).not.toBe(0);
  });
});

describe('INVLPG, INVD, WBINVD', () => {
  it('INVLPG drops the translation of the linear address of its operand (segment base + offset, no limit check)', () => {
    const m = machine('pm32');
    pageTables(m, [0x5000]);
    m.write32(0x5000, 0x5555);
    m.write32(0x6000, 0x6666);
    m.cpu.cr3 = 0x30000;
    m.cpu.cr0 |= CR0_PG;
    m.cpu.setSeg(Seg.FS, { ...m.cpu.segs[Seg.FS]!, base: 0x100000, limit: 0xfff });
    const invlpg = vi.spyOn(m.interp.mmu, 'invlpg');
    expect(m.run(asm('mov eax, [0x400000]'))).toBeNull();
    expect(m.cpu.regs[0]).toBe(0x5555);
    m.write32(0x32000, 0x6000 | 3);
    expect(m.run(asm('mov ebx, 0x300000\ninvlpg fs:[ebx+4]\nmov eax, [0x400000]'))).toBeNull();
    expect(invlpg).toHaveBeenCalledWith(0x400004);
    expect(m.cpu.regs[0]).toBe(0x6666);
  });

  it('INVLPG, INVD and WBINVD need CPL 0', () => {
    for (const source of ['invlpg [0]', 'invd', 'wbinvd']) {
      expect(faultOf(machine('pm32', 3).fault(asm(source))), source).toEqual({ vector: GP, errorCode: 0 });
    }
  });

  it('INVD and WBINVD retire with no other effect (no caches are modelled)', () => {
    const m = machine('pm32');
    const regs = [...m.cpu.regs];
    expect(m.run(asm('invd\nwbinvd'))).toBeNull();
    expect([...m.cpu.regs]).toEqual(regs);
    expect(m.cpu.cr0).toBe(CR0_PM);
  });
});

describe('MOV to and from debug registers', () => {
  it('DR0-DR3 hold addresses; DR6 and DR7 keep their fixed bits', () => {
    const m = machine('pm32');
    expect(m.run(asm(`
      mov eax, 0x11111111
      mov dr0, eax
      mov eax, 0x22222222
      mov dr3, eax
      xor eax, eax
      mov dr6, eax
      mov dr7, eax
      mov ebx, dr6
      mov ecx, dr7
      mov eax, 0xffffffff
      mov dr6, eax
      mov eax, 0xffffdfff
      mov dr7, eax
      mov edx, dr6
      mov esi, dr7
      mov edi, dr0
      mov ebp, dr3`))).toBeNull();
    expect(m.cpu.regs[3]! >>> 0).toBe(0xffff0ff0);
    expect(m.cpu.regs[1]).toBe(0x400);
    expect(m.cpu.regs[2]! >>> 0).toBe(0xffffefff);
    expect(m.cpu.regs[6]! >>> 0).toBe(0xffff07ff);
    expect(m.cpu.regs[7]).toBe(0x11111111);
    expect(m.cpu.regs[5]).toBe(0x22222222);
  });

  it('DR4 and DR5 are DR6 and DR7 while CR4.DE is clear', () => {
    const m = machine('pm32');
    expect(m.run(asm('mov eax, 0x1\nmov dr4, eax\nmov eax, 0x3\nmov dr5, eax\nmov ebx, dr6\nmov ecx, dr7\nmov edx, dr4\nmov esi, dr5'))).toBeNull();
    expect(m.cpu.regs[3]! >>> 0).toBe(0xffff0ff1);
    expect(m.cpu.regs[1]).toBe(0x403);
    expect(m.cpu.regs[2]! >>> 0).toBe(0xffff0ff1);
    expect(m.cpu.regs[6]).toBe(0x403);
  });

  it('DR4 and DR5 are #UD while CR4.DE is set', () => {
    for (const source of ['mov eax, dr4', 'mov eax, dr5', 'mov dr4, eax', 'mov dr5, eax']) {
      const m = machine('pm32');
      m.cpu.cr4 = 8;
      expect(faultOf(m.fault(asm(source))), source).toEqual({ vector: UD, errorCode: 0 });
    }
  });

  it('DR7.GD makes the next access a #DB fault with DR6.BD set and GD cleared', () => {
    const m = machine('pm32');
    expect(m.run(asm('mov eax, 0x2400\nmov dr7, eax'))).toBeNull();
    const f = m.fault(asm('mov ebx, dr0'));
    expect(f.vector).toBe(Vector.DB);
    expect(f.trap).toBe(false);
    expect(m.cpu.eip).toBe(0x1000);
    // BD reaches DR6 when the #DB is delivered (or the exit qualification when it exits: vol. 3C, 27.1).
    expect(debugStatusOf(f)).toBe(0x2000);
    expect(m.cpu.dr[6]! & 0x2000).toBe(0);
    recordDebugStatus(m.cpu, f);
    expect(m.cpu.dr[6]! & 0x2000).toBe(0x2000);
    expect(m.cpu.dr[7]).toBe(0x400);
    expect(m.run(asm('mov ebx, dr7'))).toBeNull();
    expect(m.cpu.regs[3]).toBe(0x400);
  });

  it('need CPL 0', () => {
    expect(faultOf(machine('pm32', 3).fault(asm('mov eax, dr7')))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(machine('v86').fault(asm('mov dr0, eax', 16)))).toEqual({ vector: GP, errorCode: 0 });
  });
});

describe('reset state (SDM vol. 3, table 9-1)', () => {
  it('real mode at F000:FFF0; LDTR and TR usable with limit FFFFh; DR6/DR7 at their initial values', () => {
    const cpu = CpuState.in(new PhysicalMemory(1 << 20));
    cpu.ldtr = { selector: 0x28, base: 0x1000, limit: 7, access: 0x82, big: false, unusable: true };
    cpu.dr[0] = 5; cpu.dr[7] = 0x2400;
    cpu.interruptShadow = 2; cpu.efer = 0x800;
    cpu.reset();
    expect(cpu.cr0 & CR0_PE).toBe(0);
    expect(cpu.cr0).toBe(0x60000010);
    expect(cpu.segs[Seg.CS]).toMatchObject({ selector: 0xf000, base: 0xffff0000, limit: 0xffff });
    expect(cpu.eip).toBe(0xfff0);
    expect(cpu.ldtr).toEqual({ selector: 0, base: 0, limit: 0xffff, access: 0x82, big: false, unusable: false });
    expect(cpu.tr).toMatchObject({ selector: 0, base: 0, limit: 0xffff, unusable: false });
    expect(cpu.dr).toEqual([0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400]);
    expect([cpu.interruptShadow, cpu.efer]).toEqual([0, 0]);
    expect(cpu.mode).toEqual({ code32: false, stack32: false, cpl: 0, protectedMode: false, v86: false });
  });
});
