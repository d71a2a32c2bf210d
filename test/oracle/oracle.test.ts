import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CODE_END,
  DEFAULT_CODE_OFFSET,
  DESC_CODE16,
  DESC_CODE32,
  DESC_DATA16,
  DESC_DATA32,
  EFLAGS_AF,
  EFLAGS_CF,
  EFLAGS_OF,
  EFLAGS_PF,
  EFLAGS_RF,
  EFLAGS_SF,
  EFLAGS_ZF,
  MEM_BASE,
  MEM_SIZE,
  SEL_CODE16,
  SEL_CODE32,
  SEL_DATA16,
  SEL_DATA32,
  UMIP,
  fillMemory,
  findForbidden,
  initialEflags,
  initialMemory,
  initialX87,
} from './layout.js';
import { NativeOracle, type OracleCase, type OracleResult } from './native.js';

const supported = process.platform === 'linux' && process.arch === 'x64';
const hostHasUmip = supported && /\bumip\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
const ARITH = EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_OF;

const SEED = 0x1234abcd;
const STACK_TOP = 0x9000;

function mk(code: number[], over: Partial<OracleCase> = {}): OracleCase {
  return {
    mode: 32,
    code: Uint8Array.from(code),
    regs: [0x11, 0x22, 0x33, 0x44, STACK_TOP, 0x66, 0x77, 0x88],
    eflags: 0,
    memSeed: SEED,
    ...over,
  };
}

function regs(over: Partial<Record<'eax' | 'ecx' | 'edx' | 'ebx' | 'esp' | 'ebp' | 'esi' | 'edi', number>>): number[] {
  const r = { eax: 0x11, ecx: 0x22, edx: 0x33, ebx: 0x44, esp: STACK_TOP, ebp: 0x66, esi: 0x77, edi: 0x88, ...over };
  return [r.eax, r.ecx, r.edx, r.ebx, r.esp, r.ebp, r.esi, r.edi];
}

/** Initial memory with the result's writes applied. */
function finalMemory(seed: number, r: OracleResult): Uint8Array {
  const mem = initialMemory(seed);
  for (const [a, v] of r.memWrites) mem[a - MEM_BASE] = v;
  return mem;
}

function dwordAt(mem: Uint8Array, address: number): number {
  const o = address - MEM_BASE;
  return (mem[o]! | (mem[o + 1]! << 8) | (mem[o + 2]! << 16) | (mem[o + 3]! << 24)) >>> 0;
}

describe.skipIf(!supported)('native oracle', () => {
  let oracle: NativeOracle;

  beforeAll(async () => {
    oracle = await NativeOracle.start();
  }, 120_000);

  afterAll(async () => {
    await oracle?.close();
  });

  it('runs in a clean address space and matches the layout descriptors', () => {
    expect(oracle.info.lowMemoryClean).toBe(true);
    expect(oracle.info.pagesLocked).toBe(true);
    const bySel = new Map(oracle.info.descriptors.map((d) => [d.selector, d]));
    for (const d of [DESC_CODE32, DESC_DATA32, DESC_CODE16, DESC_DATA16]) {
      const probe = bySel.get(d.selector);
      expect(probe, `selector ${d.selector.toString(16)}`).toBeDefined();
      expect(probe!.larValid).toBe(true);
      expect(probe!.lar.toString(16)).toBe(d.lar.toString(16));
      expect(probe!.lsl).toBe(d.limit);
    }
  });

  it('add eax, ebx: result, flags, and the HLT sled #GP after it', async () => {
    const [carry, overflow, adc] = await oracle.run([
      mk([0x01, 0xd8], { regs: regs({ eax: 0xffffffff, ebx: 1 }) }),
      mk([0x01, 0xd8], { regs: regs({ eax: 0x7fffffff, ebx: 1 }), eflags: EFLAGS_CF }),
      mk([0x11, 0xd8], { regs: regs({ eax: 5, ebx: 6 }), eflags: EFLAGS_CF }), // adc: case CF is honoured
    ]);
    expect(carry!.status).toBe('ok');
    expect(carry!.regs[0]).toBe(0);
    expect(carry!.eflags & ARITH).toBe(EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF);
    expect(carry!.vector).toBe(13);
    expect(carry!.errorCode).toBe(0);
    expect(carry!.eip).toBe(DEFAULT_CODE_OFFSET + 2);
    expect(carry!.memWrites).toEqual([]);
    expect(carry!.sregs).toEqual([SEL_DATA32, SEL_CODE32, SEL_DATA32, SEL_DATA32, 0, 0]);

    expect(overflow!.regs[0]).toBe(0x80000000);
    expect(overflow!.eflags & ARITH).toBe(EFLAGS_OF | EFLAGS_SF | EFLAGS_AF | EFLAGS_PF);
    expect(adc!.regs[0]).toBe(12);
  });

  it('div by zero: #DE at the instruction, state untouched', async () => {
    const r = await oracle.runOne(mk([0xf7, 0xf1], { regs: regs({ eax: 100, edx: 0, ecx: 0 }) }));
    expect(r.vector).toBe(0);
    expect(r.eip).toBe(DEFAULT_CODE_OFFSET);
    expect(r.regs).toEqual(regs({ eax: 100, edx: 0, ecx: 0 }));
    expect(r.cr2).toBe(0);
  });

  it('write to the read-only page: #PF(present|write|user), cr2', async () => {
    const r = await oracle.runOne(mk([0xa3, 0x00, 0x70, 0x00, 0x00])); // mov [0x7000], eax
    expect(r.vector).toBe(14);
    expect(r.errorCode).toBe(7);
    expect(r.cr2).toBe(0x7000);
    expect(r.eip).toBe(DEFAULT_CODE_OFFSET);
    expect(r.memWrites).toEqual([]);
  });

  it('read from an unmapped page: #PF(user), cr2', async () => {
    const r = await oracle.runOne(mk([0xa1, 0x00, 0x30, 0x00, 0x00])); // mov eax, [0x3000]
    expect(r.vector).toBe(14);
    expect(r.errorCode).toBe(4);
    expect(r.cr2).toBe(0x3000);
    expect(r.eip).toBe(DEFAULT_CODE_OFFSET);
  });

  it('jump into a data page: #PF with the instruction-fetch bit', async () => {
    const r = await oracle.runOne(mk([0xff, 0xe0], { regs: regs({ eax: 0x4000 }) })); // jmp eax
    expect(r.vector).toBe(14);
    expect(r.errorCode).toBe(0x15); // present | user | fetch
    expect(r.cr2).toBe(0x4000);
    expect(r.eip).toBe(0x4000);
  });

  it('hlt as the instruction: #GP(0) at codeOffset (any placement)', async () => {
    const rs = await oracle.run([
      mk([0xf4]),
      mk([0xf4], { codeOffset: 0x1000 }),
      mk([0xf4], { codeOffset: 0x2fff }),
    ]);
    expect(rs.map((r) => [r.vector, r.errorCode, r.eip])).toEqual([
      [13, 0, DEFAULT_CODE_OFFSET],
      [13, 0, 0x1000],
      [13, 0, 0x2fff],
    ]);
    // Faults push RF=1; the kernel reports it as is.
    expect(rs[0]!.eflags & EFLAGS_RF).toBe(EFLAGS_RF);
  });

  it('int3: vector 3, EIP after the instruction', async () => {
    const r = await oracle.runOne(mk([0xcc]));
    expect(r.vector).toBe(3);
    expect(r.eip).toBe(DEFAULT_CODE_OFFSET + 1);
    expect(r.eflags & EFLAGS_RF).toBe(0);
  });

  it('push eax writes 4 bytes at ESP-4', async () => {
    const init = initialMemory(SEED);
    // Choose a value whose every byte differs from what is there already.
    const at = STACK_TOP - 4;
    let value = 0;
    for (let i = 0; i < 4; i++) value |= (~init[at - MEM_BASE + i]! & 0xff) << (8 * i);
    value >>>= 0;
    const r = await oracle.runOne(mk([0x50], { regs: regs({ eax: value }) }));
    expect(r.regs[4]).toBe(STACK_TOP - 4);
    expect(r.memWrites).toEqual([0, 1, 2, 3].map((i) => [at + i, (value >>> (8 * i)) & 0xff]));
    expect(r.eip).toBe(DEFAULT_CODE_OFFSET + 1);
  });

  it('memory is restored between cases', async () => {
    const [w, rd] = await oracle.run([
      mk([0x89, 0x03], { regs: regs({ eax: 0xdeadbeef, ebx: 0x5000 }) }), // mov [ebx], eax
      mk([0x8b, 0x03], { regs: regs({ ebx: 0x5000 }) }), // mov eax, [ebx]
    ]);
    expect(dwordAt(finalMemory(SEED, w!), 0x5000)).toBe(0xdeadbeef);
    expect(rd!.regs[0]).toBe(dwordAt(initialMemory(SEED), 0x5000));
  });

  it('case eflags: only CF PF AF ZF SF DF OF ID are applied', async () => {
    const r = await oracle.runOne(mk([0x9c], { eflags: 0xffffffff })); // pushfd
    const pushed = dwordAt(finalMemory(SEED, r), STACK_TOP - 4);
    expect(pushed.toString(16)).toBe(initialEflags(0xffffffff).toString(16));
    expect(pushed).toBe(0x00200ed7);
  });

  it('16-bit mode: 40 is INC AX, 66 40 is INC EAX (and the reverse in 32-bit mode)', async () => {
    const r0 = regs({ eax: 0x1234ffff });
    const [inc16, inc16w, inc32, inc32w] = await oracle.run([
      mk([0x40], { mode: 16, regs: r0 }),
      mk([0x66, 0x40], { mode: 16, regs: r0 }),
      mk([0x40], { mode: 32, regs: r0 }),
      mk([0x66, 0x40], { mode: 32, regs: r0 }),
    ]);
    expect(inc16!.regs[0]).toBe(0x12340000);
    expect(inc16!.eflags & EFLAGS_ZF).toBe(EFLAGS_ZF);
    expect(inc16!.eip).toBe(DEFAULT_CODE_OFFSET + 1);
    expect(inc16!.sregs).toEqual([SEL_DATA16, SEL_CODE16, SEL_DATA16, SEL_DATA16, 0, 0]);
    expect(inc16w!.regs[0]).toBe(0x12350000);
    expect(inc16w!.eip).toBe(DEFAULT_CODE_OFFSET + 2);
    expect(inc32!.regs[0]).toBe(0x12350000);
    expect(inc32w!.regs[0]).toBe(0x12340000);
  });

  it('16-bit mode: push uses SP and keeps ESP[31:16]', async () => {
    const r = await oracle.runOne(mk([0x50], { mode: 16, regs: regs({ eax: 0x5555aaaa, esp: 0xabcd9000 }) }));
    expect(r.regs[4]!.toString(16)).toBe('abcd8ffe');
    const mem = finalMemory(SEED, r);
    expect(mem[0x8ffe - MEM_BASE]).toBe(0xaa);
    expect(mem[0x8fff - MEM_BASE]).toBe(0xaa);
    expect(r.memWrites.every(([a]) => a === 0x8ffe || a === 0x8fff)).toBe(true);
  });

  it('16-bit mode: offsets past the 64 KiB limit fault', async () => {
    const [ds, ss] = await oracle.run([
      mk([0x67, 0x8b, 0x03], { mode: 16, regs: regs({ ebx: 0x10000 }) }), // mov ax, [ebx]
      mk([0x67, 0x8b, 0x04, 0x24], { mode: 16, regs: regs({ esp: 0x10000 }) }), // mov ax, [esp]
    ]);
    expect([ds!.vector, ds!.errorCode, ds!.eip]).toEqual([13, 0, DEFAULT_CODE_OFFSET]);
    expect([ss!.vector, ss!.errorCode, ss!.eip]).toEqual([12, 0, DEFAULT_CODE_OFFSET]);
  });

  it('FS and GS are null (#GP(0)), even after a case loaded FS', async () => {
    const [load, fsRead, gsRead] = await oracle.run([
      mk([0x8e, 0xe3], { regs: regs({ ebx: SEL_DATA32 }) }), // mov fs, bx
      mk([0x64, 0xa1, 0x00, 0x50, 0x00, 0x00]), // mov eax, fs:[0x5000]
      mk([0x65, 0xa1, 0x00, 0x50, 0x00, 0x00]), // mov eax, gs:[0x5000]
    ]);
    expect(load!.sregs[4]).toBe(SEL_DATA32);
    expect([fsRead!.vector, fsRead!.errorCode, fsRead!.eip]).toEqual([13, 0, DEFAULT_CODE_OFFSET]);
    expect([gsRead!.vector, gsRead!.errorCode, gsRead!.eip]).toEqual([13, 0, DEFAULT_CODE_OFFSET]);
  });

  it('instructions straddling 0x2000 and ending at the end of the code area', async () => {
    const [straddle, atEnd] = await oracle.run([
      mk([0xb8, 0x78, 0x56, 0x34, 0x12], { codeOffset: 0x1ffe }), // mov eax, 0x12345678
      mk([0xb8, 0x78, 0x56, 0x34, 0x12], { codeOffset: CODE_END - 5 }),
    ]);
    expect(straddle!.regs[0]).toBe(0x12345678);
    expect([straddle!.vector, straddle!.eip]).toEqual([13, 0x2003]);
    expect(atEnd!.regs[0]).toBe(0x12345678);
    // The next fetch is from the unmapped page at 0x3000.
    expect([atEnd!.vector, atEnd!.errorCode, atEnd!.cr2, atEnd!.eip]).toEqual([14, 0x14, 0x3000, 0x3000]);
  });

  it('refuses system-call opcodes and invalid placements without running them', async () => {
    const rs = await oracle.run([
      mk([0xcd, 0x80]),
      mk([0x90, 0x0f, 0x05]),
      mk([0x0f, 0x34]),
      mk([0x66, 0x0f, 0x07]),
      mk([0x90, 0x90], { codeOffset: CODE_END - 1 }),
      mk([]),
      mk([0xcd, 0x03]), // int 3 is fine
    ]);
    expect(rs.map((r) => r.status)).toEqual(['refused', 'refused', 'refused', 'refused', 'invalid', 'invalid', 'ok']);
    for (const r of rs.slice(0, 6)) {
      expect(r.vector).toBe(-2);
      expect(r.error).toBeTruthy();
    }
    expect(rs[6]!.vector).toBe(3);
    expect(findForbidden([0x90, 0xcd, 0x80])).toBe(1);
  });

  it('a loop times out with vector -1 and the oracle keeps working', async () => {
    const t0 = performance.now();
    const [loop32, loop16, after] = await oracle.run([
      mk([0xeb, 0xfe]),
      mk([0xeb, 0xfe], { mode: 16, regs: regs({ esp: 0x77779000 }) }),
      mk([0x01, 0xd8], { regs: regs({ eax: 1, ebx: 2 }) }),
    ]);
    const ms = performance.now() - t0;
    expect(loop32!.vector).toBe(-1);
    expect(loop32!.eip).toBe(DEFAULT_CODE_OFFSET);
    expect(loop16!.vector).toBe(-1);
    expect(loop16!.regs[4]).toBe(0x77779000); // timer interrupts in between did not disturb ESP
    expect(after!.regs[0]).toBe(3);
    expect(ms).toBeGreaterThan(60);
  }, 10_000);

  it('timeoutMs shortens the timeout', async () => {
    const quick = await NativeOracle.start({ timeoutMs: 10 });
    try {
      const t0 = performance.now();
      const rs = await quick.run(Array.from({ length: 5 }, () => mk([0xeb, 0xfe])));
      const each = (performance.now() - t0) / 5;
      expect(rs.every((r) => r.vector === -1)).toBe(true);
      expect(each).toBeGreaterThanOrEqual(7);
      console.log(`native oracle: timeoutMs 10 -> ${each.toFixed(1)} ms per looping case`);
    } finally {
      await quick.close();
    }
  });

  it.skipIf(!hostHasUmip)('UMIP: the kernel emulates SMSW/SGDT/SIDT/SLDT/STR with fixed values', async () => {
    const [smsw, sgdt, sidt, sldt, str, roStore] = await oracle.run([
      mk([0x0f, 0x01, 0xe0]), // smsw eax
      mk([0x0f, 0x01, 0x03], { regs: regs({ ebx: 0x5000 }) }), // sgdt [ebx]
      mk([0x0f, 0x01, 0x0b], { regs: regs({ ebx: 0x5000 }) }), // sidt [ebx]
      mk([0x0f, 0x00, 0xc0]), // sldt eax
      mk([0x0f, 0x00, 0xc8]), // str eax
      mk([0x0f, 0x01, 0x03], { regs: regs({ ebx: 0x7000 }) }), // sgdt [0x7000] (read-only page)
    ]);
    for (const r of [smsw, sgdt, sidt, sldt, str]) expect([r!.vector, r!.eip]).toEqual([13, DEFAULT_CODE_OFFSET + 3]);
    expect(smsw!.regs[0]).toBe(UMIP.smsw);
    expect(sldt!.regs[0]).toBe(UMIP.ldtSelector);
    expect(str!.regs[0]).toBe(UMIP.trSelector);
    const gdt = finalMemory(SEED, sgdt!);
    expect(dwordAt(gdt, 0x5000) & 0xffff).toBe(UMIP.gdtLimit);
    expect(dwordAt(gdt, 0x5002)).toBe(UMIP.gdtBase);
    const idt = finalMemory(SEED, sidt!);
    expect(dwordAt(idt, 0x5000) & 0xffff).toBe(UMIP.idtLimit);
    expect(dwordAt(idt, 0x5002)).toBe(UMIP.idtBase);
    expect([roStore!.vector, roStore!.errorCode, roStore!.cr2]).toEqual([14, UMIP.storeFaultErrorCode, 0x7000]);
  });

  it('pipelined run() calls resolve in order', async () => {
    const calls = Array.from({ length: 20 }, (_, i) =>
      oracle.run(Array.from({ length: 50 }, (_, j) => mk([0x01, 0xd8], { regs: regs({ eax: i, ebx: j }) }))),
    );
    const all = await Promise.all(calls);
    all.forEach((rs, i) => rs.forEach((r, j) => expect(r.regs[0]).toBe(i + j)));
  });

  it('fillMemory: the native generator produces identical bytes', async () => {
    for (const seed of [0, 1, 0x9e3779b9, 0xdeadbeef, 0xffffffff, SEED]) {
      const ts = new Uint8Array(MEM_SIZE);
      fillMemory(seed, ts);
      const native = await oracle.nativeFill(seed);
      expect(native.length).toBe(MEM_SIZE);
      expect(Buffer.from(native).equals(Buffer.from(ts)), `seed ${seed.toString(16)}`).toBe(true);
    }
    // Seed 0 is the same stream as 0x9E3779B9.
    expect(Buffer.from(initialMemory(0)).equals(Buffer.from(initialMemory(0x9e3779b9)))).toBe(true);
  });

  it('fillMemory: the guest sees exactly that image at every dword', async () => {
    const seed = 0xc0ffee;
    const image = initialMemory(seed);
    const cases: OracleCase[] = [];
    for (let a = MEM_BASE; a < MEM_BASE + MEM_SIZE; a += 4) {
      cases.push(mk([0x8b, 0x03], { regs: regs({ ebx: a }), memSeed: seed })); // mov eax, [ebx]
    }
    const rs = await oracle.run(cases);
    const bad = rs.findIndex((r, i) => r.vector !== 13 || r.regs[0] !== dwordAt(image, MEM_BASE + 4 * i));
    expect(bad).toBe(-1);
  });

  it('starts from the case x87 state and reports the state at the event', async () => {
    const x87 = initialX87();
    x87.fcw = 0x027f; // PC 53
    x87.fsw = 5 << 11; // TOP 5
    x87.ftw = 1 << 5; // R5 in use: ST(0)
    new DataView(x87.regs.buffer).setBigUint64(50, 0xc000000000000000n, true);
    new DataView(x87.regs.buffer).setUint16(58, 0x3fff, true); // R5 = 1.5
    const r = await oracle.runOne(mk([0xd8, 0xc0], { x87 })); // FADD ST(0), ST(0)
    expect(r.vector).toBe(13);
    expect(r.x87!.fcw).toBe(0x027f);
    expect((r.x87!.fsw >> 11) & 7).toBe(5);
    expect(r.x87!.ftw).toBe(1 << 5);
    const v = new DataView(r.x87!.regs.buffer, r.x87!.regs.byteOffset);
    expect(v.getUint16(58, true)).toBe(0x4000); // 3.0
    expect(v.getBigUint64(50, true)).toBe(0xc000000000000000n);
    // FLD1 onto that stack: TOP 4, R4 = 1.0; a case without x87 starts from the init state.
    const r2 = await oracle.runOne(mk([0xd9, 0xe8]));
    expect(r2.x87!.fcw).toBe(0x037f);
    expect(r2.x87!.fsw).toBe(7 << 11);
    expect(r2.x87!.ftw).toBe(0x80);
  });

  it('reports FOP, FIP and FDP while an exception is pending', async () => {
    const x87 = initialX87();
    x87.fcw = 0x037e; // IE unmasked
    // FLD qword [ebx]; FXCH ST(2) (empty: stack underflow, pending); HLT.
    const r = await oracle.runOne(mk([0xdd, 0x03, 0xd9, 0xca], { x87, regs: regs({ ebx: 0x4200 }) }));
    expect(r.x87!.fsw & 0x80).toBe(0x80);
    expect(r.x87!.fop).toBe(0x1ca);
    expect(r.x87!.fip).toBe(0x1802);
    expect(r.x87!.fdp).toBe(0x4200);
  });

  it('applies the memory patch and reports writes against the patched image', async () => {
    // MOV EAX, [0x4100] reads the patch; MOV [0x4104], EBX writes over it.
    const patch = { address: 0x4100, bytes: Uint8Array.of(0x78, 0x56, 0x34, 0x12, 0xaa, 0xbb, 0xcc, 0xdd) };
    const r = await oracle.runOne(mk([0xa1, 0x00, 0x41, 0, 0, 0x89, 0x1d, 0x04, 0x41, 0, 0], { memPatch: patch, regs: regs({ ebx: 0xddcc0000 }) }));
    expect(r.regs[0]).toBe(0x12345678);
    expect(r.memWrites).toEqual([[0x4104, 0x00], [0x4105, 0x00]]);
    // The next case with the same seed sees the unpatched image again.
    const r2 = await oracle.runOne(mk([0xa1, 0x00, 0x41, 0, 0]));
    expect(r2.regs[0]).toBe(dwordAt(initialMemory(SEED), 0x4100));
  });

  it('throughput (informational)', async () => {
    let s = 0x2545f491;
    const rnd = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return s >>> 0;
    };
    const ops = [[0x01, 0xd8], [0x29, 0xc8], [0x50], [0x58], [0x89, 0x03], [0x8b, 0x0e], [0xf7, 0xf1], [0xcc], [0xab]];
    const make = (n: number, freshSeed: boolean): OracleCase[] =>
      Array.from({ length: n }, () => ({
        mode: 32 as const,
        code: Uint8Array.from(ops[rnd() % ops.length]!),
        regs: Array.from({ length: 8 }, () => (rnd() & 1 ? 0x4000 + (rnd() % 0x6000) : rnd())),
        eflags: rnd(),
        memSeed: freshSeed ? rnd() : 42,
      }));
    for (const fresh of [false, true]) {
      const cases = make(100_000, fresh);
      const t0 = performance.now();
      const rs = await oracle.run(cases);
      const dt = (performance.now() - t0) / 1000;
      expect(rs.length).toBe(cases.length);
      console.log(
        `native oracle: ${Math.round(cases.length / dt)} cases/s (${fresh ? 'fresh memSeed per case' : 'shared memSeed'})`,
      );
    }
  }, 60_000);
});
