/**
 * CPU models and CPUID: the models QEMU names (checked against
 * qemu-system-i386 running the same guest, where it is installed), the
 * engine's feature mask, `-cpu NAME,+feature,-feature`, and the MSR bits
 * that change CPUID (SDM vol. 2, CPUID; vol. 4, IA32_MISC_ENABLE).
 *
 *   npx vitest run test/vmx/cpu-model.test.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CPU_MODELS, cpuid, CpuModelError, ENGINE_FEATURES, Feature, parseCpuModel } from '../../runtime/cpu-model.js';
import { I686_PAGING, pagingFeaturesOf } from '../../runtime/mmu.js';
import { createMachine } from '../../src/machine.js';
import { loadFlat } from '../../src/loaders/flat.js';
import { assemble, vmxMachine } from './harness.js';
import { Reg } from '../../translator/table/types.js';

const hexWords = (words: readonly number[]): string[] => words.map((w) => (w >>> 0).toString(16).padStart(8, '0'));

describe('the models', () => {
  it("report QEMU's family, model and stepping and their CPUs' leaf-1 features, masked by what the engine implements", () => {
    expect(cpuid(CPU_MODELS.pentium!, 1)[0]).toBe(0x543);
    expect(cpuid(CPU_MODELS.pentium2!, 1)[0]).toBe(0x652);
    expect(cpuid(CPU_MODELS.pentium3!, 1)[0]).toBe(0x673);
    expect(cpuid(CPU_MODELS.i686!, 1)[0]).toBe(0x619);
    // Pentium MMX: FPU PSE TSC MSR CX8 MMX (VME, DE, MCE and the APIC are not implemented).
    expect(cpuid(CPU_MODELS.pentium!, 1)[3]).toBe(0x00800139);
    // Pentium II adds PAE SEP MTRR PGE CMOV PAT PSE-36 FXSR (not MCA); the Pentium III's SSE is masked.
    expect(cpuid(CPU_MODELS.pentium2!, 1)[3]).toBe(0x0183b979);
    expect(cpuid(CPU_MODELS.pentium3!, 1)[3]).toBe(0x0183b979);
    // The i686 reports PSE-36, and its paging features (what the machine gives the walker) agree.
    expect(cpuid(CPU_MODELS.i686!, 1)[3] & Feature.PSE36).toBe(Feature.PSE36);
    expect(pagingFeaturesOf(CPU_MODELS.i686!.features)).toEqual(I686_PAGING);
    expect(pagingFeaturesOf(CPU_MODELS.pentium3!.features).pse36).toBe(true);
    expect(pagingFeaturesOf(CPU_MODELS.pentium!.features)).toEqual({ maxPhysAddr: 32, pse36: false, pat: false });
    expect(pagingFeaturesOf(parseCpuModel('pentium3,-pae').features)).toEqual({ maxPhysAddr: 36, pse36: true, pat: true });
    for (const m of Object.values(CPU_MODELS)) expect(m.features & ~ENGINE_FEATURES).toBe(0);
  });

  it('leaf 2 of the Pentium II and III: their TLB and 512 KiB L2 descriptors', () => {
    expect(hexWords(cpuid(CPU_MODELS.pentium2!, 2))).toEqual(['03020101', '00000000', '00000000', '0c040843']);
  });

  it('a leaf past the highest basic or extended leaf returns the highest basic leaf (Intel)', () => {
    const p = CPU_MODELS.pentium!;
    expect(cpuid(p, 2)).toEqual(cpuid(p, 1));
    expect(cpuid(p, 0x80000000)).toEqual(cpuid(p, 1));
    expect(cpuid(CPU_MODELS.pentium2!, 0x80000001)).toEqual(cpuid(CPU_MODELS.pentium2!, 2));
    const i686 = CPU_MODELS.i686!;
    expect(cpuid(i686, 0x80000000)[0]).toBe(0x80000004);
    expect(cpuid(i686, 0x80000005)).toEqual(cpuid(i686, 1));
    const brand = [2, 3, 4].flatMap((k) => cpuid(i686, 0x80000000 + k)).flatMap((w) => [0, 8, 16, 24].map((s) => (w >>> s) & 0xff));
    expect(String.fromCharCode(...brand.filter((c) => c !== 0))).toBe('wasmvisor i686');
  });
});

describe('-cpu NAME,+feature,-feature', () => {
  it('hides a feature with -feature or feature=off', () => {
    expect(parseCpuModel('pentium2,-mmx').features & Feature.MMX).toBe(0);
    expect(parseCpuModel('pentium2,cmov=off').features & Feature.CMOV).toBe(0);
    expect(parseCpuModel('pentium2,-mmx').family).toBe(6);
  });

  it('adds an implemented feature, and XD brings leaf 80000001H with it', () => {
    const p = parseCpuModel('pentium,+cmov,+nx');
    expect(p.features & Feature.CMOV).toBe(Feature.CMOV);
    expect(cpuid(p, 0x80000000)[0]).toBe(0x80000001);
    expect(cpuid(p, 0x80000001)[3]).toBe(1 << 20);
  });

  it('refuses unknown models and features, and features the engine does not implement', () => {
    expect(() => parseCpuModel('z80')).toThrow(CpuModelError);
    expect(() => parseCpuModel('z80')).toThrow(/unknown CPU model 'z80' \(known: i686, pentium, pentium2, pentium3\)/);
    expect(() => parseCpuModel('pentium3,+sse')).toThrow(/CPU feature 'sse' is not implemented by wasmvisor/);
    expect(() => parseCpuModel('pentium,apic=on')).toThrow(/'apic' is not implemented/);
    expect(() => parseCpuModel('pentium,+frobnicate')).toThrow(/unknown CPU feature 'frobnicate'/);
    expect(() => parseCpuModel('pentium,mmx')).toThrow(/bad CPU feature change 'mmx'/);
  });

  it('the machine takes the same specification, and turns errors into configuration errors', () => {
    const m = createMachine({ memoryMiB: 2, cpu: 'pentium2,-mmx' });
    expect(m.model.features & Feature.MMX).toBe(0);
    expect(() => createMachine({ memoryMiB: 2, cpu: 'pentium9' })).toThrow(/unknown CPU model 'pentium9'/);
  });
});

describe('CPUID through the guest', () => {
  it('IA32_MISC_ENABLE.XD disable clears CPUID.80000001H:EDX.XD', () => {
    const m = vmxMachine(`
      mov $0x80000001, %eax
      cpuid
      mov %edx, %esi
      mov $0x1a0, %ecx
      rdmsr
      or $4, %edx
      wrmsr
      mov $0x80000001, %eax
      cpuid
      hlt`, { cpu: 'pentium2,+nx' });
    m.vcpu.run();
    expect(m.cpu.regs[Reg.ESI]).toBe(1 << 20);
    expect(m.cpu.regs[Reg.EDX]).toBe(0);
  });
});

/**
 * A guest that prints CPUID leaves 0, 1, 2, 80000000H and 80000001H on the
 * debugcon port (E9h) as hex words and exits through isa-debug-exit. It
 * carries a multiboot header with the a.out address fields, so QEMU's
 * -kernel loads it at 1 MiB as the flat loader does.
 */
const CPUID_GUEST = `
  jmp start
  .align 4
mbh:
  .long 0x1badb002, 0x00010000, -(0x1badb002 + 0x00010000)
  .long mbh, 0x100000, 0, 0, start
start:
  mov $0x80000, %esp
  mov $leaves, %esi
next:
  mov (%esi), %eax
  cmp $0xffffffff, %eax
  je done
  xor %ecx, %ecx
  cpuid
  mov %eax, regs
  mov %ebx, regs+4
  mov %ecx, regs+8
  mov %edx, regs+12
  mov $regs, %edi
  mov $4, %ebp
1:
  mov (%edi), %eax
  call hex
  add $4, %edi
  dec %ebp
  jnz 1b
  mov $10, %al
  out %al, $0xe9
  add $4, %esi
  jmp next
done:
  mov $0, %al
  out %al, $0xf4
  hlt
hex:
  mov $8, %ecx
2:
  rol $4, %eax
  mov %eax, %edx
  and $15, %edx
  mov digits(%edx), %bl
  xchg %eax, %ebx
  out %al, $0xe9
  xchg %eax, %ebx
  dec %ecx
  jnz 2b
  mov $32, %al
  out %al, $0xe9
  ret
digits: .ascii "0123456789abcdef"
  .align 4
leaves: .long 0, 1, 2, 0x80000000, 0x80000001, 0xffffffff
regs: .long 0, 0, 0, 0
`;

const LEAVES = [0, 1, 2, 0x80000000, 0x80000001];

/** Parse the guest's output: one line of four hex words per leaf. */
function parseLeaves(text: string): Map<number, number[]> {
  const lines = text.trim().split('\n');
  expect(lines).toHaveLength(LEAVES.length);
  return new Map(lines.map((l, k) => [LEAVES[k]!, l.trim().split(' ').map((w) => parseInt(w, 16) | 0)]));
}

function runInWasmvisor(model: string): Map<number, number[]> {
  const m = createMachine({ memoryMiB: 16, cpu: model });
  let out = '';
  m.io.register(0xe9, 1, { read: () => 0xe9, write: (_p, _s, v) => { out += String.fromCharCode(v & 0xff); } });
  loadFlat(m, assemble(CPUID_GUEST));
  const r = m.run({ maxInstructions: 100_000 });
  expect(r.outcome).toEqual({ kind: 'debug-exit', value: 1 });
  return parseLeaves(out);
}

function qemuAvailable(): boolean {
  try {
    execFileSync('qemu-system-i386', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function runInQemu(model: string): Map<number, number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-cpuid-'));
  const kernel = join(dir, 'cpuid.bin');
  writeFileSync(kernel, assemble(CPUID_GUEST));
  const out = join(dir, 'debugcon.txt');
  try {
    execFileSync('qemu-system-i386', [
      '-kernel', kernel, '-cpu', model, '-m', '16', '-nographic', '-no-reboot', '-monitor', 'none', '-serial', 'none', '-nic', 'none',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-debugcon', `file:${out}`,
    ], { stdio: 'ignore', timeout: 60_000 });
  } catch (e) {
    // isa-debug-exit's status 1 is how the guest stops QEMU.
    if ((e as { status?: number }).status !== 1) throw e;
  }
  return parseLeaves(readFileSync(out, 'latin1'));
}

describe.skipIf(!qemuAvailable())('against QEMU (qemu-system-i386 -cpu MODEL, TCG)', () => {
  for (const model of ['pentium', 'pentium2', 'pentium3']) {
    it(`${model}: vendor, signature, leaf-1 EDX (QEMU's, masked by the engine) and the out-of-range rule`, () => {
      const ours = runInWasmvisor(model);
      const qemu = runInQemu(model);
      // Vendor string.
      expect(ours.get(0)!.slice(1)).toEqual(qemu.get(0)!.slice(1));
      // The Pentium III's maximum leaf departs on purpose: 2 (no serial number leaf), QEMU says 3.
      if (model !== 'pentium3') expect(ours.get(0)![0]).toBe(qemu.get(0)![0]);
      expect(ours.get(1)![0]).toBe(qemu.get(1)![0]);
      // The PC wires a local APIC device on P6 models, so CPUID reports it as QEMU's does.
      const apic = CPU_MODELS[model]!.apic && CPU_MODELS[model]!.family >= 6 ? Feature.APIC : 0;
      expect(ours.get(1)![3]).toBe(qemu.get(1)![3]! & (ENGINE_FEATURES | apic));
      // Neither has extended leaves: both answer 80000000H with their highest basic leaf.
      const maxOurs = ours.get(0)![0]!;
      const maxQemu = qemu.get(0)![0]!;
      if (maxOurs <= 2) expect(ours.get(0x80000000)).toEqual(ours.get(maxOurs));
      if (maxQemu <= 2) expect(qemu.get(0x80000000)).toEqual(qemu.get(maxQemu));
      if (model === 'pentium') expect(ours.get(0x80000000)).toEqual(ours.get(1));
    }, 120_000);
  }
});
