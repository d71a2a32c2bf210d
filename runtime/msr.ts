/**
 * Model-specific registers of one vCPU and the RDMSR/WRMSR operations
 * (SDM vol. 2, RDMSR/WRMSR; vol. 4, tables 2-2 and 2-3): the time-stamp
 * counter, IA32_APIC_BASE, SYSENTER_CS/ESP/EIP, PAT, the MTRRs,
 * MISC_ENABLE and, on a model with XD, IA32_EFER. Which registers exist
 * follows the CPU model's CPUID features. An MSR the model does not have,
 * or a 1 written to a reserved bit, is #GP(0); RDMSR and WRMSR at CPL > 0
 * are #GP(0) before they get here (the opcode table's cpl0 attribute).
 *
 * The TSC is virtual: on a bare vCPU a fixed number of cycles per retired
 * instruction, plus the cycles the vCPU's owner lets pass while it is
 * halted (VirtualTsc.advance); on a machine with a virtual clock it counts
 * at a fixed frequency of guest time (VirtualTsc.useClock), so that it
 * agrees with the PIT and the APIC timer that the guest calibrates it
 * against. VT-x's TSC offset is applied by the VMX layer (runtime/vmm.ts),
 * not here.
 *
 * IA32_APIC_BASE belongs to the local APIC device when one is attached
 * (attachApic): reads and writes go to it, so moving or disabling the APIC
 * moves or disables the device.
 *
 * Departures: IA32_MISC_ENABLE reports no performance monitoring (bit 7
 * clear: no counters are modelled) and accepts only the bits named below;
 * with no local APIC device, IA32_APIC_BASE.EN reads 0 and cannot be set,
 * as on a P6-family CPU whose APIC was disabled (vol. 3, 10.4.3).
 */
import { Reg } from '../translator/table/types.js';
import { ExtFeature, Feature } from './cpu-model.js';
import { GuestFault, Vector } from './exceptions.js';
import type { SystemContext, SystemOps } from './system/context.js';

/** MSR indices (SDM vol. 4, table 2-2). */
export const enum Msr {
  TimeStampCounter = 0x10,
  ApicBase = 0x1b,
  /** IA32_BIOS_SIGN_ID: the loaded microcode's revision (P6 family on). */
  BiosSignId = 0x8b,
  MtrrCap = 0xfe,
  SysenterCs = 0x174,
  SysenterEsp = 0x175,
  SysenterEip = 0x176,
  MiscEnable = 0x1a0,
  MtrrPhysBase0 = 0x200,
  MtrrFix64k00000 = 0x250,
  MtrrFix16k80000 = 0x258,
  MtrrFix16kA0000 = 0x259,
  MtrrFix4kC0000 = 0x268,
  MtrrFix4kF8000 = 0x26f,
  Pat = 0x277,
  MtrrDefType = 0x2ff,
  Efer = 0xc0000080,
}

/** Variable-range MTRR pairs (IA32_MTRRCAP.VCNT). */
export const MTRR_VARIABLE_COUNT = 8;
/** IA32_MTRRCAP: VCNT = 8, FIX (fixed ranges), WC (write combining); no SMRR (vol. 3, 11.11.1). */
const MTRRCAP = BigInt(MTRR_VARIABLE_COUNT) | (1n << 8n) | (1n << 10n);
/** IA32_PAT's power-up value: WB, WT, UC-, UC, WB, WT, UC-, UC (vol. 3, 11.12.4). */
export const PAT_RESET = 0x0007040600070406n;
/** IA32_APIC_BASE at reset: the local APIC at FEE00000H, this vCPU the bootstrap processor (vol. 3, 10.4.4). */
const APIC_BASE_BSP = 1n << 8n;
const APIC_BASE_EN = 1n << 11n;
const APIC_DEFAULT_BASE = 0xfee00000n;

/** IA32_MISC_ENABLE bits (vol. 4, table 2-2). */
const MISC_FAST_STRINGS = 1n << 0n;
const MISC_BTS_UNAVAILABLE = 1n << 11n;
const MISC_PEBS_UNAVAILABLE = 1n << 12n;
export const MISC_LIMIT_CPUID_MAXVAL = 1n << 22n;
export const MISC_XD_DISABLE = 1n << 34n;
const MISC_READ_ONLY = MISC_BTS_UNAVAILABLE | MISC_PEBS_UNAVAILABLE;

/** IA32_EFER.NXE, the only bit of EFER an IA-32 processor has. */
const EFER_NXE = 1n << 11n;

const MASK64 = (1n << 64n) - 1n;

/** Memory types an MTRR may hold: UC, WC, WT, WP, WB (vol. 3, table 11-8). */
const MTRR_TYPES = new Set([0, 1, 4, 5, 6]);
/** Memory types a PAT entry may hold: UC, WC, WT, WP, WB, UC- (vol. 3, table 11-10). */
const PAT_TYPES = new Set([0, 1, 4, 5, 6, 7]);

const gp = (): never => {
  throw new GuestFault(Vector.GP, 0);
};

/** Every byte of `v` is one of `types` (the fixed-range MTRRs and PAT hold eight such fields). */
function bytesAre(v: bigint, types: ReadonlySet<number>): boolean {
  for (let k = 0n; k < 64n; k += 8n) if (!types.has(Number((v >> k) & 0xffn))) return false;
  return true;
}

/**
 * The virtual time-stamp counter: `cyclesPerInstruction` per retired
 * instruction, plus `advance()`d idle cycles, plus what a WRMSR set it to.
 */
export class VirtualTsc {
  /** Added to the instruction-derived count: idle cycles and the effect of TSC writes (mod 2^64). */
  private offset = 0n;
  /** Guest nanoseconds, when the counter follows a clock instead of retired instructions. */
  private clockNs: (() => number) | null = null;
  /** The counter's frequency while it follows a clock. */
  private hz = 0;

  constructor(readonly cyclesPerInstruction = 2) {}

  /**
   * Count `hz` cycles per second of guest time read from `nowNs` (a
   * constant-rate TSC, vol. 3, 17.17): what the guest measures against its
   * timers then agrees with them. The counter keeps its current value.
   */
  useClock(nowNs: () => number, hz: number, retired: number): void {
    if (!(Number.isInteger(hz) && hz > 0)) throw new RangeError(`TSC frequency must be a positive integer, got ${hz}`);
    const value = this.read(retired);
    this.clockNs = nowNs;
    this.hz = hz;
    this.write(retired, value);
  }

  /** The counter's frequency in Hz while it follows a clock, else 0. */
  get frequency(): number {
    return this.hz;
  }

  /** Cycles from the source alone: the clock's time at `hz`, or the retired instructions. */
  private raw(retired: number): bigint {
    if (this.clockNs) {
      const ns = this.clockNs();
      // ns * hz / 1e9 exactly: split the time in whole seconds and the rest so no product leaves 2^53.
      const s = Math.floor(ns / 1e9);
      return BigInt(s) * BigInt(this.hz) + BigInt(Math.floor(((ns - s * 1e9) * this.hz) / 1e9));
    }
    return BigInt(retired) * BigInt(this.cyclesPerInstruction);
  }

  /** The counter after `retired` instructions (or now, on a clock). */
  read(retired: number): bigint {
    return (this.raw(retired) + this.offset) & MASK64;
  }

  /** Make the counter read `value` now (after `retired` instructions). */
  write(retired: number, value: bigint): void {
    this.offset = (value - this.raw(retired)) & MASK64;
  }

  /** Let `cycles` pass without instructions (the vCPU was halted while its owner waited). */
  advance(cycles: number): void {
    this.offset = (this.offset + BigInt(Math.max(0, Math.floor(cycles)))) & MASK64;
  }
}

/** The local APIC's side of IA32_APIC_BASE (runtime/devices/lapic.ts LocalApic). */
export interface ApicBaseRegister {
  readonly apicBaseMsr: number;
  setApicBaseMsr(value: number): void;
}

export interface MsrFileOptions {
  /** A local APIC device answers at IA32_APIC_BASE (none exists yet: the APIC is hardware-disabled). */
  readonly localApic?: boolean;
  readonly tsc?: VirtualTsc;
}

/** The MSRs of one vCPU (those not kept in CpuState: SYSENTER and EFER live there). */
export class MsrFile {
  readonly tsc: VirtualTsc;
  localApic: boolean;
  /** The device that owns IA32_APIC_BASE, once attached. */
  private apic: ApicBaseRegister | null = null;
  private apicBaseValue = 0n;
  pat = PAT_RESET;
  miscEnable = 0n;
  mtrrDefType = 0n;
  /** Fixed-range MTRRs, by MSR index. */
  readonly mtrrFixed = new Map<number, bigint>();
  /** Variable-range MTRRs: PHYSBASEn at 2n, PHYSMASKn at 2n + 1. */
  readonly mtrrVariable = new Array<bigint>(2 * MTRR_VARIABLE_COUNT).fill(0n);

  constructor(options: MsrFileOptions = {}) {
    this.tsc = options.tsc ?? new VirtualTsc();
    this.localApic = options.localApic ?? false;
    this.reset();
  }

  /** IA32_APIC_BASE: the attached APIC's, else this file's own. */
  get apicBase(): bigint {
    return this.apic ? BigInt(this.apic.apicBaseMsr >>> 0) : this.apicBaseValue;
  }

  set apicBase(v: bigint) {
    if (this.apic) this.apic.setApicBaseMsr(Number(v & 0xffffffffn));
    else this.apicBaseValue = v;
  }

  /**
   * A local APIC device now answers at IA32_APIC_BASE: reads and writes go
   * to it. The device keeps its own reset state (the chipset resets it).
   */
  attachApic(apic: ApicBaseRegister): void {
    this.apic = apic;
    this.localApic = true;
  }

  /** Power-up values (vol. 3, table 9-1; the MTRRs are disabled and their contents undefined: here 0). */
  reset(): void {
    if (!this.apic) this.apicBaseValue = APIC_DEFAULT_BASE | APIC_BASE_BSP | (this.localApic ? APIC_BASE_EN : 0n);
    this.pat = PAT_RESET;
    this.miscEnable = MISC_FAST_STRINGS | MISC_READ_ONLY;
    this.mtrrDefType = 0n;
    this.mtrrFixed.clear();
    this.mtrrVariable.fill(0n);
  }

  /** RDMSR `index`: the value, or #GP(0) when the model has no such MSR. */
  read(ctx: SystemContext, index: number): bigint {
    const f = ctx.model.features;
    const i = index >>> 0;
    switch (i) {
      case Msr.TimeStampCounter:
        if (f & Feature.TSC) return this.tsc.read(ctx.interp.retired);
        break;
      case Msr.ApicBase:
        if (hasApicBase(ctx)) return this.apicBase;
        break;
      case Msr.BiosSignId:
        // No microcode update was ever loaded: revision (bits 63:32) 0.
        if (ctx.model.family >= 6) return 0n;
        break;
      case Msr.SysenterCs: if (f & Feature.SEP) return BigInt(ctx.cpu.sysenterCs >>> 0); break;
      case Msr.SysenterEsp: if (f & Feature.SEP) return BigInt(ctx.cpu.sysenterEsp >>> 0); break;
      case Msr.SysenterEip: if (f & Feature.SEP) return BigInt(ctx.cpu.sysenterEip >>> 0); break;
      case Msr.MiscEnable:
        if (ctx.model.family >= 6) return this.miscEnable;
        break;
      case Msr.Pat:
        if (f & Feature.PAT) return this.pat;
        break;
      case Msr.Efer:
        if (ctx.model.extFeatures & ExtFeature.NX) return BigInt(ctx.cpu.efer >>> 0);
        break;
      default:
        if (f & Feature.MTRR) {
          const v = this.readMtrr(i);
          if (v !== undefined) return v;
        }
    }
    return gp();
  }

  /** WRMSR `index` ← `value`; #GP(0) for an MSR the model lacks, a read-only one, or a reserved bit set. */
  write(ctx: SystemContext, index: number, value: bigint): void {
    const cpu = ctx.cpu;
    const f = ctx.model.features;
    const v = value & MASK64;
    const i = index >>> 0;
    switch (i) {
      case Msr.TimeStampCounter:
        if (!(f & Feature.TSC)) gp();
        // P6-family processors write only the low 32 bits and clear the high half (vol. 3, 17.17).
        this.tsc.write(ctx.interp.retired, ctx.model.family === 6 ? v & 0xffffffffn : v);
        return;
      case Msr.ApicBase: {
        if (!hasApicBase(ctx)) gp();
        const reserved = 0xffn | (1n << 9n) | (1n << 10n) | aboveMaxPhys(ctx);
        if (v & reserved) gp();
        // BSP is the processor's own and not written; EN cannot come back without a device to enable.
        const en = this.localApic ? v & APIC_BASE_EN : 0n;
        this.apicBase = (v & ~(APIC_BASE_EN | APIC_BASE_BSP)) | en | (this.apicBase & APIC_BASE_BSP);
        return;
      }
      case Msr.BiosSignId:
        // Software writes 0 before CPUID(1) so the CPU can report its revision there (vol. 3, 9.11.7.1): nothing to keep.
        if (ctx.model.family < 6) gp();
        return;
      case Msr.SysenterCs: if (!(f & Feature.SEP)) gp(); cpu.sysenterCs = Number(v & 0xffffffffn) | 0; return;
      case Msr.SysenterEsp: if (!(f & Feature.SEP)) gp(); cpu.sysenterEsp = Number(v & 0xffffffffn) | 0; return;
      case Msr.SysenterEip: if (!(f & Feature.SEP)) gp(); cpu.sysenterEip = Number(v & 0xffffffffn) | 0; return;
      case Msr.MiscEnable: {
        if (ctx.model.family < 6) gp();
        let writable = MISC_FAST_STRINGS | MISC_LIMIT_CPUID_MAXVAL;
        if (ctx.model.extFeatures & ExtFeature.NX) writable |= MISC_XD_DISABLE;
        // Read-only bits may be written back with the value they read.
        if (v & ~(writable | MISC_READ_ONLY) || (v & MISC_READ_ONLY) !== (this.miscEnable & MISC_READ_ONLY)) gp();
        this.miscEnable = v;
        return;
      }
      case Msr.Pat:
        if (!(f & Feature.PAT) || !bytesAre(v, PAT_TYPES)) gp();
        this.pat = v;
        return;
      case Msr.Efer: {
        if (!(ctx.model.extFeatures & ExtFeature.NX) || v & ~EFER_NXE) gp();
        const old = cpu.efer;
        cpu.efer = Number(v);
        if (old !== cpu.efer) ctx.mmu.pagingModeChanged();
        return;
      }
      default:
        if (f & Feature.MTRR && this.writeMtrr(ctx, i, v)) return;
    }
    gp();
  }

  private readMtrr(i: number): bigint | undefined {
    if (i === Msr.MtrrCap) return MTRRCAP;
    if (i === Msr.MtrrDefType) return this.mtrrDefType;
    if (isFixedMtrr(i)) return this.mtrrFixed.get(i) ?? 0n;
    if (i >= Msr.MtrrPhysBase0 && i < Msr.MtrrPhysBase0 + 2 * MTRR_VARIABLE_COUNT) return this.mtrrVariable[i - Msr.MtrrPhysBase0]!;
    return undefined;
  }

  /** Write an MTRR (vol. 3, 11.11.2); false when `i` is none. MTRRCAP is read-only. */
  private writeMtrr(ctx: SystemContext, i: number, v: bigint): boolean {
    if (i === Msr.MtrrDefType) {
      // Type (bits 7:0), FE (10), E (11).
      if (v & ~0xcffn || !MTRR_TYPES.has(Number(v & 0xffn))) gp();
      this.mtrrDefType = v;
      return true;
    }
    if (isFixedMtrr(i)) {
      if (!bytesAre(v, MTRR_TYPES)) gp();
      this.mtrrFixed.set(i, v);
      return true;
    }
    if (i >= Msr.MtrrPhysBase0 && i < Msr.MtrrPhysBase0 + 2 * MTRR_VARIABLE_COUNT) {
      const k = i - Msr.MtrrPhysBase0;
      if (k % 2 === 0) {
        // PHYSBASE: type (7:0), base (MAXPHYADDR-1:12); bits 11:8 reserved.
        if (v & (0xf00n | aboveMaxPhys(ctx)) || !MTRR_TYPES.has(Number(v & 0xffn))) gp();
      } else if (v & (0x7ffn | aboveMaxPhys(ctx))) {
        // PHYSMASK: V (11), mask (MAXPHYADDR-1:12); bits 10:0 reserved.
        gp();
      }
      this.mtrrVariable[k] = v;
      return true;
    }
    return false;
  }
}

function isFixedMtrr(i: number): boolean {
  return i === Msr.MtrrFix64k00000 || i === Msr.MtrrFix16k80000 || i === Msr.MtrrFix16kA0000 || (i >= Msr.MtrrFix4kC0000 && i <= Msr.MtrrFix4kF8000);
}

/** IA32_APIC_BASE exists from the P6 family on (the Pentium's APIC base was not an MSR). */
function hasApicBase(ctx: SystemContext): boolean {
  return ctx.model.family >= 6;
}

/**
 * Bits at and above MAXPHYADDR: 36 with PAE or PSE-36, else 32 (SDM vol. 2,
 * CPUID: the rule when leaf 80000008H does not exist).
 */
function aboveMaxPhys(ctx: SystemContext): bigint {
  const bits = ctx.model.features & (Feature.PAE | Feature.PSE36) ? 36n : 32n;
  return MASK64 & ~((1n << bits) - 1n);
}

/** A model without CPUID.1:EDX.MSR has no RDMSR/WRMSR: the opcodes are undefined (#UD). */
function requireMsrs(ctx: SystemContext): void {
  if (!(ctx.model.features & Feature.MSR)) throw new GuestFault(Vector.UD);
}

/** RDMSR and WRMSR: ECX names the MSR, EDX:EAX holds the value. */
export const MSR_OPS: SystemOps = {
  rdmsr: (ctx) => {
    requireMsrs(ctx);
    const b = ctx.b;
    const v = ctx.msrs.read(ctx, b.reg(Reg.ECX, 4));
    b.setReg(Reg.EAX, 4, Number(v & 0xffffffffn) | 0);
    b.setReg(Reg.EDX, 4, Number(v >> 32n) | 0);
  },
  wrmsr: (ctx) => {
    requireMsrs(ctx);
    const b = ctx.b;
    const value = (BigInt(b.reg(Reg.EDX, 4) >>> 0) << 32n) | BigInt(b.reg(Reg.EAX, 4) >>> 0);
    ctx.msrs.write(ctx, b.reg(Reg.ECX, 4), value);
  },
};
