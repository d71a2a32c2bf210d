/**
 * Runs the self-modifying-code guests of test/jit/guests/ in every tier the
 * SMC tests compare: the reference interpreter, and the Wasm JIT under each
 * SMC policy with regions compiled before their first run (threshold 0) and
 * only once hot. The JIT tier is built by hand (not through a named machine
 * tier) so that any policy can be paired with any threshold.
 *
 * The default VMM does not virtualise MOV to CRn yet (it ends the run with
 * a CR-access exit), so this harness answers that exit itself, as a user-
 * space VMM would: it is how the paging guest turns paging on.
 */
import { join } from 'node:path';
import { JitTier, type JitStrategy } from '../../runtime/jit/jit.js';
import { BUDGET_EXHAUSTED, type VmExit } from '../../runtime/interpreter.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { createMachine, type ExecutionTier, type Machine } from '../../src/machine.js';
import { loadFlat, readImageFile } from '../../src/loaders/flat.js';
import { buildFlatGuest, buildLinkedGuest, GUEST_BUILD_DIR, PROJECT_ROOT } from '../../src/toolchain.js';
import { exitReasonName } from '../../src/exit-names.js';

export const GUEST_SOURCE_DIR = join(PROJECT_ROOT, 'test', 'jit', 'guests');

/** Build (if stale) test/jit/guests/NAME.S into a flat image at 1 MiB; returns its bytes. */
export function guestImage(name: string): Uint8Array {
  const out = join(GUEST_BUILD_DIR, 'jit-test', `${name}.bin`);
  buildFlatGuest([join(GUEST_SOURCE_DIR, `${name}.S`)], out);
  return readImageFile(out);
}

const SYSTEM_GUESTS = join(PROJECT_ROOT, 'test', 'system', 'guests');

/**
 * Build (if stale) test/jit/guests/NAME.S linked with the system guests'
 * library (test/system/guests: lib.S, link.ld; a multiboot ELF) into the
 * build folder `dir`; returns its path.
 */
export function systemLinkedGuest(name: string, dir: string): string {
  const out = join(GUEST_BUILD_DIR, dir, `${name}.elf`);
  buildLinkedGuest([join(SYSTEM_GUESTS, 'lib.S'), join(GUEST_SOURCE_DIR, `${name}.S`)], out, {
    linkerScript: join(SYSTEM_GUESTS, 'link.ld'),
    dependencies: [join(SYSTEM_GUESTS, 'lib.inc')],
  });
  return out;
}

/** One tier the SMC tests run a guest in: the interpreter (no strategy) or a JIT strategy. */
export interface TierConfig {
  readonly label: string;
  readonly strategy: JitStrategy | null;
}

/** The hot threshold of the named 'jit-hot' strategies. */
export const HOT_THRESHOLD = 20;

export const SMC_POLICIES = ['page', 'subpage', 'verify'] as const;

/** Callee pages the hot configurations with callees take in (JitStrategy.calleePages). */
export const CALLEE_PAGES = 4;

/**
 * The interpreter, then every SMC policy at threshold 0 and at the hot
 * threshold, and the page and sub-page policies at the hot threshold with
 * regions taking in callees' pages (JitStrategy.calleePages: code of
 * another page runs inside the caller's region, and must be dropped with
 * it when written or remapped).
 */
export const TIER_CONFIGS: readonly TierConfig[] = [
  { label: 'interpreter', strategy: null },
  ...SMC_POLICIES.flatMap((smc) => [0, HOT_THRESHOLD].map((threshold): TierConfig => ({
    label: `jit smc=${smc} threshold=${threshold}`,
    strategy: { name: `test-${smc}-${threshold}`, threshold, optimize: 0, smc },
  }))),
  ...(['page', 'subpage'] as const).map((smc): TierConfig => ({
    label: `jit smc=${smc} threshold=${HOT_THRESHOLD} callees`,
    strategy: { name: `test-${smc}-${HOT_THRESHOLD}-callees`, threshold: HOT_THRESHOLD, optimize: 0, smc, calleePages: CALLEE_PAGES },
  })),
];

/** Fixed address where the guests leave their results (below the flat loader's stack at 0x90000). */
export const RESULTS = 0x70000;

/** A guest machine driven by one tier, with the run loop the tests need. */
export class GuestRun {
  readonly machine: Machine;
  readonly jit: JitTier | null;
  private readonly tier: ExecutionTier;

  constructor(image: Uint8Array, readonly config: TierConfig, memoryMiB = 4) {
    this.machine = createMachine({ memoryMiB, tier: 'interpreter' });
    this.jit = config.strategy ? new JitTier(this.machine.interpreter, config.strategy) : null;
    this.tier = this.jit ?? this.machine.interpreter;
    loadFlat(this.machine, image);
  }

  /** Instructions retired since the machine was built (both tiers count into the interpreter). */
  get retired(): number {
    return this.machine.interpreter.retired;
  }

  /**
   * Run until the guest executes HLT; throws on any other exit, or after
   * `maxInstructions`. The tier runs in slices of `slices` (cycled).
   */
  runToHalt(maxInstructions = 20_000_000, slices: readonly number[] = [100_000]): void {
    const exit = this.runToExit(maxInstructions, slices);
    if (exit.reason === ExitReason.Hlt) return;
    const cpu = this.machine.cpu;
    const fault = exit.fault ? ` vector ${exit.fault.vector} error ${exit.fault.errorCode} cr2 ${hex(exit.fault.cr2)}` : '';
    throw new Error(`${this.config.label}: unexpected exit ${exitReasonName(exit.reason)}${fault} at EIP=${hex(cpu.eip)}, bytes ${this.machine.codeBytesAt(cpu.eip, 8).map((b) => hex(b, 2)).join(' ')}`);
  }

  /**
   * Run until an exit other than the end of a slice (answering MOV to
   * CRn exits, as runToHalt does); returns it. Throws after `maxInstructions`.
   */
  runToExit(maxInstructions = 20_000_000, slices: readonly number[] = [100_000]): VmExit {
    const cpu = this.machine.cpu;
    const start = this.retired;
    for (let k = 0; ; k++) {
      if (this.retired - start > maxInstructions) throw new Error(`${this.config.label}: no exit after ${maxInstructions} instructions (EIP=${hex(cpu.eip)})`);
      const exit = this.tier.run(slices[k % slices.length]!);
      if (exit.reason === BUDGET_EXHAUSTED) continue;
      if (exit.reason === ExitReason.CrAccess && this.movToCr()) continue;
      return exit as VmExit;
    }
  }

  /** Leave a HLT: the next run continues after it. */
  wake(): void {
    this.machine.cpu.halted = false;
  }

  /**
   * Answer a CR-access exit for MOV CRn, r32 (0F 22 /r) to CR0, CR3 or CR4:
   * load the register, flush the TLB, and step over the instruction.
   * Returns false for anything else (MOV from CRn, CLTS, LMSW).
   */
  private movToCr(): boolean {
    const m = this.machine;
    const cpu = m.cpu;
    const [b0, b1, modrm] = m.codeBytesAt(cpu.eip, 3);
    if (b0 !== 0x0f || b1 !== 0x22 || modrm === undefined || modrm >>> 6 !== 3) return false;
    const value = cpu.regs[modrm & 7]! >>> 0;
    switch ((modrm >>> 3) & 7) {
      case 0: cpu.cr0 = value | 0; break;
      case 3: cpu.cr3 = value; break;
      case 4: cpu.cr4 = value; break;
      default: return false;
    }
    cpu.refreshMode();
    m.interpreter.mmu.flush();
    cpu.eip = (cpu.eip + 3) >>> 0;
    m.interpreter.retired++;
    return true;
  }

  /** A dword of guest physical memory, unsigned. */
  read32(pa: number): number {
    return this.machine.mem.read32(pa) >>> 0;
  }

  /** `count` result dwords at RESULTS. */
  results(count: number): number[] {
    return Array.from({ length: count }, (_, k) => this.read32(RESULTS + 4 * k));
  }

  /** The eight general registers, unsigned, in encoding order. */
  registers(): number[] {
    return [...this.machine.cpu.regs].map((r) => r >>> 0);
  }
}

/** The guests' running checksum: s = s * 3 + v (mod 2^32), over the values in order. */
export function fold(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s = (Math.imul(s, 3) + v) >>> 0;
  return s;
}

/** 1..n */
export function range1(n: number): number[] {
  return Array.from({ length: n }, (_, k) => k + 1);
}

export function hex(v: number, width = 8): string {
  return (v >>> 0).toString(16).padStart(width, '0');
}
