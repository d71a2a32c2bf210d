import { describe, expect, it } from 'vitest';
import { DebugExit, debugExitStatus } from '../../runtime/devices/debug-exit.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { createMachine, RunStatus } from '../../src/machine.js';
import { loadFlat } from '../../src/loaders/flat.js';

describe('isa-debug-exit', () => {
  it("maps a write of v to QEMU's (v << 1) | 1", () => {
    expect(debugExitStatus(0)).toBe(1);
    expect(debugExitStatus(0x10)).toBe(0x21);
    const seen: number[] = [];
    const dev = new DebugExit((status) => seen.push(status));
    dev.write(0xf4, 1, 0x1ff); // a byte write sees the low byte only
    dev.write(0xf4, 4, 3);
    expect(seen).toEqual([0x1ff, 7]);
    expect(dev.read(0xf4, 1)).toBe(0xff);
  });

  it('ends a run at once with that status', () => {
    const m = createMachine({ memoryMiB: 2 });
    // mov al, 0x10; out 0xf4, al; ud2 (never reached)
    loadFlat(m, new Uint8Array([0xb0, 0x10, 0xe6, 0xf4, 0x0f, 0x0b]));
    const r = m.run({ maxInstructions: 100 });
    expect(r.outcome).toEqual({ kind: 'debug-exit', value: 0x21 });
    expect(r.status).toBe(0x21);
  });

  it('also works through OUT DX, EAX', () => {
    const m = createMachine({ memoryMiB: 2 });
    // mov dx, 0xf4; mov eax, 2; out dx, eax
    loadFlat(m, new Uint8Array([0x66, 0xba, 0xf4, 0x00, 0xb8, 0x02, 0, 0, 0, 0xef]));
    expect(m.run({ maxInstructions: 100 }).status).toBe(5);
  });
});

describe('machine run outcomes', () => {
  it('halts cleanly on CLI; HLT', () => {
    const m = createMachine({ memoryMiB: 2 });
    loadFlat(m, new Uint8Array([0xfa, 0xf4]));
    const r = m.run();
    expect(r.status).toBe(RunStatus.Halted);
    expect(r.retired).toBe(2);
  });

  it('delivers a fault through the IDT, and a fault that cannot be delivered is a triple fault', () => {
    const m = createMachine({ memoryMiB: 2 });
    // xor ecx, ecx; div ecx (the IDT at 0 holds no gates: #DE, then #GP, #DF and a #GP delivering #DF)
    loadFlat(m, new Uint8Array([0x31, 0xc9, 0xf7, 0xf1]));
    const r = m.run({ maxInstructions: 100 });
    expect(r.status).toBe(RunStatus.TripleFault);
    // #GP's error code names IDT entry 8 with IDT and EXT set: 8 * 8 + 2 + 1.
    expect(r.outcome).toMatchObject({ kind: 'triple-fault', detail: 'delivering #DE: #GP(43) while delivering #DF', eip: 0x100002 });
    expect(r.message).toMatch(/triple fault .*#DE.* at EIP=00100002, bytes there: f7 f1/);
  });

  it('reports a fault the embedder takes through the exception bitmap', () => {
    const m = createMachine({ memoryMiB: 2 });
    m.vcpu.vmcs.exceptionBitmap = 1 << 0;
    m.vcpu.takeExits(ExitReason.ExceptionOrNmi);
    loadFlat(m, new Uint8Array([0x31, 0xc9, 0xf7, 0xf1]));
    const r = m.run({ maxInstructions: 100 });
    expect(r.status).toBe(RunStatus.GuestFault);
    expect(r.outcome).toMatchObject({ kind: 'fault', vector: 0, eip: 0x100002 });
    expect(r.message).toMatch(/#DE at EIP=00100002, bytes there: f7 f1/);
  });

  it('fails a HLT with interrupts enabled, which nothing could wake', () => {
    const m = createMachine({ memoryMiB: 2 });
    loadFlat(m, new Uint8Array([0xfb, 0xf4]));
    expect(m.run().status).toBe(RunStatus.HaltedForever);
  });

  it('stops at the instruction limit', () => {
    const m = createMachine({ memoryMiB: 2, sliceInstructions: 7 });
    loadFlat(m, new Uint8Array([0xeb, 0xfe])); // jmp $
    const r = m.run({ maxInstructions: 50 });
    expect(r.status).toBe(RunStatus.InstructionLimit);
    expect(r.retired).toBe(50);
  });
});
