/**
 * The embedder's side of run() (KVM_RUN's contract): take I/O exits, supply
 * IN data, let OUT complete by itself, step over or hand back an exit,
 * string I/O one element per exit; and the exit statistics (counts and
 * host time per reason, from the API and from the CLI's --stats).
 *
 *   npx vitest run test/vmx/embedder.test.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../runtime/exit-reason.js';
import { Reg } from '../../translator/table/types.js';
import { createMachine } from '../../src/machine.js';
import { loadFlat } from '../../src/loaders/flat.js';
import { exitStatsTable } from '../../src/cli/main.js';
import { assemble, CODE, DATA, vmxMachine } from './harness.js';

describe('taking I/O exits (KVM_EXIT_IO)', () => {
  it('IN completes with the data the embedder supplies; OUT completes by itself; no device sees either', () => {
    const m = vmxMachine(`
      in $0x62, %al
      mov %al, %bl
      out %al, $0x61
      hlt`);
    const seen: number[] = [];
    m.io.register(0x62, 2, { read: () => { seen.push(-1); return 0x77; }, write: (_p, _s, v) => { seen.push(v); } });
    m.vcpu.takeExits(ExitReason.IoInstruction);
    const inExit = m.vcpu.run();
    expect(inExit.io).toEqual({ port: 0x62, size: 1, input: true, string: false, rep: false, immediate: true });
    inExit.io!.data = 0x5a;
    const outExit = m.vcpu.run();
    expect(m.cpu.regs[Reg.EBX]! & 0xff).toBe(0x5a);
    expect(outExit.io).toMatchObject({ port: 0x61, size: 1, input: false, data: 0x5a });
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    expect(m.cpu.eip).toBe(CODE + 7);
    expect(seen).toEqual([]);
  });

  it('an IN exit run again without data is refused', () => {
    const m = vmxMachine('in $0x62, %al; hlt');
    m.vcpu.takeExits(ExitReason.IoInstruction);
    m.vcpu.run();
    expect(() => m.vcpu.run()).toThrow(/set exit\.io\.data/);
  });

  it('REP INSB exits once per element, each completed with its byte', () => {
    const m = vmxMachine(`
      mov $${DATA}, %edi
      mov $3, %ecx
      mov $0x1f0, %dx
      rep insb
      hlt`);
    m.vcpu.takeExits(ExitReason.IoInstruction);
    const addresses: number[] = [];
    let e = m.vcpu.run();
    for (let k = 1; e.reason === ExitReason.IoInstruction; k++) {
      expect(e.io).toMatchObject({ port: 0x1f0, size: 1, input: true, string: true, rep: true });
      addresses.push(e.info!.guestLinearAddress);
      e.io!.data = 0x10 * k;
      e = m.vcpu.run();
    }
    expect(e.reason).toBe(ExitReason.Hlt);
    expect(addresses).toEqual([DATA, DATA + 1, DATA + 2]);
    expect([m.mem.read8(DATA), m.mem.read8(DATA + 1), m.mem.read8(DATA + 2)]).toEqual([0x10, 0x20, 0x30]);
    expect(m.cpu.regs[Reg.ECX]).toBe(0);
    expect(m.cpu.regs[Reg.EDI]).toBe(DATA + 3);
  });

  it('OUTS reports the element it writes', () => {
    const m = vmxMachine(`
      mov $${DATA}, %esi
      mov $0x1f0, %dx
      outsl (%esi), (%dx)
      hlt`);
    m.mem.write32(DATA, 0xcafef00d | 0);
    m.vcpu.takeExits(ExitReason.IoInstruction);
    expect(m.vcpu.run().io).toMatchObject({ size: 4, input: false, string: true, data: 0xcafef00d | 0 });
  });

  it('completeByDefault() lets the default VMM do the access with the device', () => {
    const m = vmxMachine('in $0x62, %al; hlt');
    m.io.register(0x62, 1, { read: () => 0x77, write: () => {} });
    m.vcpu.takeExits(ExitReason.IoInstruction);
    m.vcpu.run();
    m.vcpu.completeByDefault();
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    expect(m.cpu.regs[Reg.EAX]! & 0xff).toBe(0x77);
  });

  it('skipInstruction() steps over the instruction: nothing is read, EIP moves past it, it counts as retired', () => {
    const m = vmxMachine('mov $0x11, %al; in $0x62, %al; hlt');
    m.vcpu.takeExits(ExitReason.IoInstruction);
    m.vcpu.run();
    const retired = m.interpreter.retired;
    m.vcpu.skipInstruction();
    expect(m.cpu.eip).toBe(CODE + 4);
    expect(m.interpreter.retired).toBe(retired + 1);
    m.vcpu.run();
    expect(m.cpu.regs[Reg.EAX]! & 0xff).toBe(0x11);
  });

  it('a completion does not apply when the embedder moved EIP elsewhere', () => {
    const m = vmxMachine(`
      in $0x62, %al
      hlt
      .org 0x10, 0x90
      in $0x61, %al
      hlt`);
    m.vcpu.takeExits(ExitReason.IoInstruction);
    const e = m.vcpu.run();
    e.io!.data = 0x22;
    m.cpu.eip = CODE + 0x10;
    // The IN at 10h is another instruction: it exits on its own.
    expect(m.vcpu.run().io).toMatchObject({ port: 0x61 });
    expect(m.cpu.regs[Reg.EAX]! & 0xff).toBe(0);
  });
});

describe('exit statistics', () => {
  it('counts exits and the host time spent on them per reason, the embedder\'s handling time included', () => {
    const m = vmxMachine(`
      xor %eax, %eax
      cpuid
      cpuid
      in $0x62, %al
      out %al, $0x80
      hlt`);
    m.vcpu.takeExits(ExitReason.IoInstruction);
    const e = m.vcpu.run();
    expect(e.reason).toBe(ExitReason.IoInstruction);
    // The embedder takes 20 ms over the IN.
    const until = performance.now() + 20;
    while (performance.now() < until) { /* handling */ }
    e.io!.data = 1;
    m.vcpu.run(); // the OUT
    m.vcpu.run(); // HLT
    const rows = m.exitStats();
    expect(rows.map((r) => [r.name, r.count])).toEqual([['CPUID', 2], ['HLT', 1], ['IO_INSTRUCTION', 2]]);
    const io = rows.find((r) => r.reason === ExitReason.IoInstruction)!;
    expect(io.ms).toBeGreaterThanOrEqual(20);
    for (const r of rows) expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(m.vcpu.stats.total).toBe(5);
    expect(m.exitCounts().get('CPUID')).toBe(2);
  });

  it('prints a kvm_stat-like table', () => {
    const m = vmxMachine('xor %eax, %eax; cpuid; cpuid; cpuid; out %al, $0x80; hlt');
    m.vcpu.run();
    const table = exitStatsTable(m);
    expect(table[0]).toBe('VM exits: 5');
    expect(table[1]).toMatch(/^ Event\s+Total\s+%Total\s+Time\(ms\)\s+Avg\(us\)$/);
    // Most frequent first, with the share of all exits.
    expect(table[2]).toMatch(/^ CPUID\s+3\s+60\.0\s+\d+\.\d{3}\s+\d+\.\d{2}$/);
    expect(table[3]).toMatch(/^ HLT\s+1\s+20\.0 /);
    expect(table[4]).toMatch(/^ IO_INSTRUCTION\s+1\s+20\.0 /);
    expect(table[5]).toMatch(/^ Total\s+5\s+100\.0\s+\d+\.\d{3}$/);
  });

  it('--stats prints the table on stderr, and -cpu takes a model with feature changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-vmx-'));
    const k = join(dir, 'cpuid.bin');
    // Exit through the debug-exit port with CPUID.1:EDX.MMX (bit 23), which -mmx must clear.
    writeFileSync(k, assemble('mov $1, %eax; cpuid; shr $23, %edx; and $1, %edx; mov %dl, %al; out %al, $0xf4'));
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'wasmvisor.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
    let r = run('-kernel', k, '--stats', '-cpu', 'pentium2');
    expect(r.status).toBe((1 << 1) | 1);
    expect(r.stderr).toMatch(/ Event\s+Total\s+%Total\s+Time\(ms\)/);
    expect(r.stderr).toMatch(/ CPUID\s+1\s/);
    r = run('-kernel', k, '-cpu', 'pentium2,-mmx');
    expect(r.status).toBe((0 << 1) | 1);
    r = run('-kernel', k, '-cpu', 'pentium3,+sse');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CPU feature 'sse' is not implemented/);
  }, 240_000);
});

describe('the machine', () => {
  it('runs on the vCPU loop with any tier and keeps the stats by reason', () => {
    const m = createMachine({ memoryMiB: 2 });
    loadFlat(m, assemble('xor %eax, %eax; cpuid; mov $0x3f8, %dx; mov $0x41, %al; out %al, %dx; cli; hlt'));
    const r = m.run();
    expect(r.status).toBe(0);
    expect([...m.exitCounts()]).toEqual([['CPUID', 1], ['HLT', 1], ['IO_INSTRUCTION', 1]]);
  });

  it('passes the paging policy to the MMU, and rejects an unknown one', () => {
    expect(createMachine({ memoryMiB: 2, paging: 'shadow' }).interpreter.mmu.policyName).toBe('shadow');
    expect(createMachine({ memoryMiB: 2 }).interpreter.mmu.policyName).toBe('nested');
    expect(() => createMachine({ memoryMiB: 2, paging: 'magic' as 'shadow' })).toThrow(/unknown paging policy 'magic'/);
  });
});
