/**
 * The local APIC of one processor (Intel SDM vol. 3A, chapter 10 / 11 in
 * newer editions: "Advanced Programmable Interrupt Controller"), xAPIC mode,
 * memory-mapped at IA32_APIC_BASE (0xFEE00000 after reset).
 *
 * Registers: ID, version (0x14, six LVT entries), TPR, APR, PPR, EOI,
 * LDR/DFR (flat and cluster logical destinations), SVR (software
 * enable; while software-disabled every LVT mask bit is set and stays set,
 * and fixed interrupts are not accepted), ISR/TMR/IRR, ESR (errors collect
 * internally and appear on the next ESR write: send/receive illegal vector,
 * illegal register address), ICR (fixed, lowest-priority and NMI IPIs with
 * physical, logical and shorthand destinations reach this APIC when it is
 * addressed), LVT timer/thermal/performance/LINT0/LINT1/error, and the
 * timer (initial and current count, divide configuration; one-shot and
 * periodic) counting at the bus clock.
 *
 * Interrupt acceptance and delivery follow the SDM: vectors 0-15 are
 * refused with "receive illegal vector"; an interrupt is delivered when the
 * highest IRR vector's priority class is above PPR's; the INTA moves it to
 * ISR; EOI clears the highest ISR bit and, if TMR marks it level-triggered,
 * is broadcast to the I/O APICs (`onEoi`). LINT0/LINT1 honour the delivery
 * mode (fixed edge or level with remote IRR, NMI, ExtINT), polarity and
 * mask. ExtINT (LINT0 in virtual-wire mode, or an I/O APIC entry in ExtINT
 * mode) makes the APIC pass the INTA to the 8259A (`connectExtInt`). With
 * IA32_APIC_BASE[11] clear the APIC is absent: its registers read as
 * all-ones and the 8259A's INTR goes straight to the CPU (the chipset's
 * controller does that routing).
 *
 * Departures: SMI, INIT and start-up IPIs are accepted and ignored (one
 * vCPU, no SMM; they matter with -smp); the timer's TSC-deadline mode is not
 * offered (the bit is reserved, as on CPUs without it); sub-32-bit writes
 * are ignored (the SDM makes them model-specific; reads of parts work); the
 * thermal and performance-counter LVTs exist but nothing raises them.
 */
import type { ClockTimer, VirtualClock } from './clock.js';
import type { InterruptController } from './irq.js';
import type { MmioBus, MmioDevice, MmioSize } from '../mmio-bus.js';

export const LAPIC_DEFAULT_BASE = 0xfee00000;
export const LAPIC_SIZE = 0x1000;
/** IA32_APIC_BASE. */
export const MSR_APIC_BASE = 0x1b;
export const APIC_BASE_BSP = 0x100;
export const APIC_BASE_ENABLE = 0x800;

export const enum LapicReg {
  Id = 0x020,
  Version = 0x030,
  Tpr = 0x080,
  Apr = 0x090,
  Ppr = 0x0a0,
  Eoi = 0x0b0,
  Rrd = 0x0c0,
  Ldr = 0x0d0,
  Dfr = 0x0e0,
  Svr = 0x0f0,
  Isr = 0x100,
  Tmr = 0x180,
  Irr = 0x200,
  Esr = 0x280,
  IcrLow = 0x300,
  IcrHigh = 0x310,
  LvtTimer = 0x320,
  LvtThermal = 0x330,
  LvtPerf = 0x340,
  LvtLint0 = 0x350,
  LvtLint1 = 0x360,
  LvtError = 0x370,
  TimerInitial = 0x380,
  TimerCurrent = 0x390,
  TimerDivide = 0x3e0,
}

/** LVT entries in register order. */
const enum Lvt {
  Timer = 0,
  Thermal = 1,
  Perf = 2,
  Lint0 = 3,
  Lint1 = 4,
  Error = 5,
}
const LVT_COUNT = 6;
/** Writable bits per LVT entry (vector, delivery mode, polarity, trigger, mask, timer mode). */
const LVT_WRITABLE = [0x300ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];

export const LVT_MASKED = 0x10000;
export const LVT_LEVEL = 0x8000;
export const LVT_REMOTE_IRR = 0x4000;
export const LVT_ACTIVE_LOW = 0x2000;
export const LVT_TIMER_PERIODIC = 0x20000;

export const enum DeliveryMode {
  Fixed = 0,
  LowestPriority = 1,
  Smi = 2,
  Nmi = 4,
  Init = 5,
  StartUp = 6,
  ExtInt = 7,
}

export const ESR_SEND_ILLEGAL_VECTOR = 0x20;
export const ESR_RECEIVE_ILLEGAL_VECTOR = 0x40;
export const ESR_ILLEGAL_REGISTER = 0x80;

export const SVR_APIC_ENABLED = 0x100;
/** Version 0x14 (an integrated xAPIC), maximum LVT entry 5. */
const VERSION = 0x14 | ((LVT_COUNT - 1) << 16);

const setBit = (a: Uint32Array, v: number): void => {
  a[v >> 5] |= 1 << (v & 31);
};
const clearBit = (a: Uint32Array, v: number): void => {
  a[v >> 5] &= ~(1 << (v & 31));
};
const testBit = (a: Uint32Array, v: number): boolean => (a[v >> 5]! & (1 << (v & 31))) !== 0;
/** The highest set bit of a 256-bit register, or -1. */
function highest(a: Uint32Array): number {
  for (let w = 7; w >= 0; w--) if (a[w]) return w * 32 + 31 - Math.clz32(a[w]!);
  return -1;
}

export interface LocalApicOptions {
  /** Where the registers appear; the APIC registers itself and follows IA32_APIC_BASE moves. */
  mmio?: MmioBus;
  /** APIC ID (the BSP's is 0). */
  id?: number;
  /** Nanoseconds per bus clock, the timer's input before the divider (default 10: a 100 MHz bus). */
  nsPerBusClock?: number;
  /** EOI of a level-triggered vector: the broadcast to the I/O APICs. */
  onEoi?: (vector: number) => void;
}

export class LocalApic implements MmioDevice, InterruptController {
  private apicBase: number;
  private id: number;
  private tpr = 0;
  private ldr = 0;
  private dfr = 0xffffffff;
  private svr = 0xff;
  private readonly irr = new Uint32Array(8);
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  private esr = 0;
  private esrCollected = 0;
  private icrLow = 0;
  private icrHigh = 0;
  private readonly lvt = new Uint32Array(LVT_COUNT).fill(LVT_MASKED);
  private readonly lintLevel = [false, false];
  private readonly lintRemoteIrr = [false, false];
  /** I/O APIC entries in ExtINT mode whose pins are active. */
  private extIntFromIoApic = 0;
  private nmi = false;
  private extIntAck: () => number = () => this.svr & 0xff;

  private timerInitial = 0;
  private timerDivide = 0;
  private timerRunning = false;
  /** Guest time the current count started from (virtual, so the count is (now - start) / period). */
  private timerStart = 0;
  private readonly timer: ClockTimer;
  private readonly nsPerBusClock: number;
  private readonly mmio: MmioBus | null;
  private readonly onEoi: (vector: number) => void;

  constructor(private readonly clock: VirtualClock, options: LocalApicOptions = {}) {
    this.id = (options.id ?? 0) & 0xff;
    this.apicBase = LAPIC_DEFAULT_BASE | APIC_BASE_ENABLE | (this.id === 0 ? APIC_BASE_BSP : 0);
    this.nsPerBusClock = options.nsPerBusClock ?? 10;
    this.onEoi = options.onEoi ?? (() => {});
    this.mmio = options.mmio ?? null;
    this.timer = clock.timer(() => this.timerExpired());
    this.mmio?.register(LAPIC_DEFAULT_BASE, LAPIC_SIZE, this);
  }

  /** Where INTAs for ExtINT interrupts go (the 8259A pair's acknowledge). */
  connectExtInt(ack: () => number): void {
    this.extIntAck = ack;
  }

  /** IA32_APIC_BASE as RDMSR returns it (low 32 bits; the high bits are 0). */
  get apicBaseMsr(): number {
    return this.apicBase >>> 0;
  }

  /** WRMSR IA32_APIC_BASE: global enable/disable and relocation. */
  setApicBaseMsr(value: number): void {
    const enable = (value & APIC_BASE_ENABLE) !== 0;
    if (!enable && this.hardwareEnabled) this.powerUpState(); // SDM: disabling may return the APIC to its power-up state
    const base = value & 0xfffff000;
    if (this.mmio && base !== (this.apicBase & 0xfffff000)) {
      this.mmio.unregister(this);
      this.mmio.register(base >>> 0, LAPIC_SIZE, this);
    }
    this.apicBase = (base | (this.apicBase & APIC_BASE_BSP) | (enable ? APIC_BASE_ENABLE : 0)) >>> 0;
  }

  /** IA32_APIC_BASE[11]. */
  get hardwareEnabled(): boolean {
    return (this.apicBase & APIC_BASE_ENABLE) !== 0;
  }

  /** SVR[8]. */
  get softwareEnabled(): boolean {
    return (this.svr & SVR_APIC_ENABLED) !== 0;
  }

  /** RESET: the power-up state, enabled at the default base. */
  reset(): void {
    this.setApicBaseMsr(LAPIC_DEFAULT_BASE | APIC_BASE_ENABLE);
    this.powerUpState();
  }

  /** SDM "Local APIC State After Power-Up or Reset" (the ID is kept: it is the processor's). */
  private powerUpState(): void {
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = 0xffffffff;
    this.svr = 0xff;
    this.irr.fill(0);
    this.isr.fill(0);
    this.tmr.fill(0);
    this.esr = this.esrCollected = 0;
    this.icrLow = this.icrHigh = 0;
    this.lvt.fill(LVT_MASKED);
    this.lintRemoteIrr[0] = this.lintRemoteIrr[1] = false;
    this.nmi = false;
    this.timerInitial = 0;
    this.timerDivide = 0;
    this.timerRunning = false;
    this.timer.cancel();
  }

  /**
   * What firmware does before handing over to an OS that may not touch the
   * APIC (virtual-wire mode, MP spec 3.6.2.2), with SeaBIOS's values:
   * software-enable it, LINT0 = ExtINT (the 8259A), LINT1 = NMI, both with
   * the level bit set (ExtINT is level-sensitive whatever the bit says; NMI
   * is edge-sensitive).
   */
  enableVirtualWire(): void {
    this.writeRegister(LapicReg.Svr, this.svr | SVR_APIC_ENABLED);
    this.writeRegister(LapicReg.LvtLint0, LVT_LEVEL | (DeliveryMode.ExtInt << 8));
    this.writeRegister(LapicReg.LvtLint1, LVT_LEVEL | (DeliveryMode.Nmi << 8));
  }

  // --- the CPU side ---

  pending(): boolean {
    return this.deliverable() >= 0 || this.extIntPending();
  }

  acknowledge(): number {
    const v = this.deliverable();
    if (v >= 0) {
      clearBit(this.irr, v);
      setBit(this.isr, v);
      return v;
    }
    if (this.extIntPending()) return this.extIntAck();
    return this.svr & 0xff; // nothing to deliver at INTA time: the spurious vector, ISR untouched
  }

  /** An NMI is waiting (LINT1, an NMI IPI or an I/O APIC NMI entry). */
  nmiPending(): boolean {
    return this.nmi;
  }

  acknowledgeNmi(): void {
    this.nmi = false;
  }

  /** The vector the INTA would take from IRR, or -1. */
  private deliverable(): number {
    if (!this.hardwareEnabled || !this.softwareEnabled) return -1;
    const v = highest(this.irr);
    if (v < 0 || (v & 0xf0) <= (this.ppr() & 0xf0)) return -1;
    return v;
  }

  private extIntPending(): boolean {
    if (!this.hardwareEnabled) return false;
    const lint0 = this.lvt[Lvt.Lint0]!;
    const viaLint0 = !(lint0 & LVT_MASKED) && ((lint0 >> 8) & 7) === DeliveryMode.ExtInt && this.lintActive(0);
    return viaLint0 || (this.extIntFromIoApic !== 0 && this.softwareEnabled);
  }

  private ppr(): number {
    const isrv = highest(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr : isrClass;
  }

  private apr(): number {
    const irrv = Math.max(0, highest(this.irr));
    const isrv = Math.max(0, highest(this.isr));
    if ((this.tpr & 0xf0) >= (irrv & 0xf0) && (this.tpr & 0xf0) > (isrv & 0xf0)) return this.tpr;
    return Math.max(this.tpr & 0xf0, isrv & 0xf0, irrv & 0xf0);
  }

  // --- the bus side ---

  /** Whether a message to `dest` in physical or logical mode addresses this APIC. */
  matchesDestination(dest: number, logical: boolean): boolean {
    if (!this.hardwareEnabled) return false;
    dest &= 0xff;
    if (!logical) return dest === 0xff || dest === this.id;
    const ldr = this.ldr >>> 24;
    if (this.dfr >>> 28 === 0xf) return (ldr & dest) !== 0; // flat model
    const cluster = dest >> 4;
    return (cluster === 0xf || cluster === ldr >> 4) && (dest & ldr & 0xf) !== 0;
  }

  /** A fixed or lowest-priority interrupt message (I/O APIC, IPI, LVT). Returns whether it was accepted. */
  acceptInterrupt(vector: number, level: boolean): boolean {
    if (!this.hardwareEnabled) return false;
    if (vector < 16) {
      this.error(ESR_RECEIVE_ILLEGAL_VECTOR);
      return false;
    }
    if (!this.softwareEnabled) return false;
    setBit(this.irr, vector);
    if (level) setBit(this.tmr, vector);
    else clearBit(this.tmr, vector);
    return true;
  }

  acceptNmi(): void {
    if (this.hardwareEnabled) this.nmi = true;
  }

  /** An I/O APIC entry in ExtINT mode asserts or releases its pin (`source` tells entries apart). */
  setExtIntFromIoApic(source: number, active: boolean): void {
    const bit = 1 << source;
    this.extIntFromIoApic = active ? this.extIntFromIoApic | bit : this.extIntFromIoApic & ~bit;
  }

  /** Drive the LINT0 (i = 0) or LINT1 (i = 1) pin. */
  setLint(i: 0 | 1, level: boolean): void {
    const before = this.lintActive(i);
    this.lintLevel[i] = level;
    this.lintChanged(i, before);
  }

  private lintActive(i: number): boolean {
    const polarityLow = (this.lvt[Lvt.Lint0 + i]! & LVT_ACTIVE_LOW) !== 0;
    return this.lintLevel[i] !== polarityLow;
  }

  /** Act on LINTi after its pin or its LVT entry changed; `before` is whether it was active. */
  private lintChanged(i: number, before: boolean): void {
    const e = this.lvt[Lvt.Lint0 + i]!;
    if (e & LVT_MASKED) return;
    const active = this.lintActive(i);
    switch ((e >> 8) & 7) {
      case DeliveryMode.Fixed:
        if (e & LVT_LEVEL) {
          if (active && !this.lintRemoteIrr[i] && this.acceptInterrupt(e & 0xff, true)) this.lintRemoteIrr[i] = true;
        } else if (active && !before) {
          this.acceptInterrupt(e & 0xff, false);
        }
        return;
      case DeliveryMode.Nmi:
        if (active && !before) this.nmi = true;
        return;
      default:
        return; // ExtINT is level-sensitive and looked at when the CPU asks; SMI and INIT are ignored
    }
  }

  private error(bit: number): void {
    this.esrCollected |= bit;
    const e = this.lvt[Lvt.Error]!;
    // The error LVT's own vector being illegal is logged, not delivered (no recursion).
    if (!(e & LVT_MASKED) && (e & 0xff) >= 16) this.acceptInterrupt(e & 0xff, false);
  }

  private eoi(): void {
    const v = highest(this.isr);
    if (v < 0) return;
    clearBit(this.isr, v);
    if (testBit(this.tmr, v)) this.onEoi(v);
    for (const i of [0, 1] as const) {
      const e = this.lvt[Lvt.Lint0 + i]!;
      if (this.lintRemoteIrr[i] && (e & 0xff) === v) {
        this.lintRemoteIrr[i] = false;
        this.lintChanged(i, false); // still asserted: delivered again
      }
    }
  }

  private sendIpi(): void {
    const lo = this.icrLow;
    const vector = lo & 0xff;
    const mode = (lo >> 8) & 7;
    let toSelf: boolean;
    switch ((lo >> 18) & 3) {
      case 0:
        toSelf = this.matchesDestination(this.icrHigh >>> 24, (lo & 0x800) !== 0);
        break;
      case 1: // self
      case 2: // all including self
        toSelf = true;
        break;
      default: // all excluding self: no other processors
        toSelf = false;
    }
    switch (mode) {
      case DeliveryMode.Fixed:
      case DeliveryMode.LowestPriority:
        if (vector < 16) {
          this.error(ESR_SEND_ILLEGAL_VECTOR);
          return;
        }
        if (toSelf) this.acceptInterrupt(vector, (lo & 0x8000) !== 0);
        return;
      case DeliveryMode.Nmi:
        if (toSelf) this.nmi = true;
        return;
      default:
        return; // SMI, INIT, start-up: see the file comment
    }
  }

  // --- timer ---

  /** Bus clocks per timer decrement (divide configuration bits 3, 1, 0). */
  private divisor(): number {
    const code = ((this.timerDivide & 8) >> 1) | (this.timerDivide & 3);
    return code === 7 ? 1 : 2 << code;
  }

  private timerPeriodNs(): number {
    return this.nsPerBusClock * this.divisor();
  }

  /** Decrements since the count started. */
  private timerElapsed(now: number): number {
    return Math.floor((now - this.timerStart) / this.timerPeriodNs());
  }

  private currentCount(): number {
    if (!this.timerRunning) return 0;
    const elapsed = this.timerElapsed(this.clock.now());
    if (this.lvt[Lvt.Timer]! & LVT_TIMER_PERIODIC) return this.timerInitial - (elapsed % this.timerInitial);
    return Math.max(0, this.timerInitial - elapsed);
  }

  /** Go on counting from `cc` at the current divisor (after a divide or timer-mode change). */
  private restartFrom(cc: number): void {
    this.timerStart = this.clock.now() - (this.timerInitial - cc) * this.timerPeriodNs();
  }

  private armTimer(): void {
    if (!this.timerRunning) {
      this.timer.cancel();
      return;
    }
    const span = this.timerInitial * this.timerPeriodNs();
    const k = Math.floor((this.clock.now() - this.timerStart) / span) + 1;
    this.timer.arm(this.timerStart + k * span);
  }

  private timerExpired(): void {
    const e = this.lvt[Lvt.Timer]!;
    if (!(e & LVT_MASKED)) this.acceptInterrupt(e & 0xff, false);
    if (e & LVT_TIMER_PERIODIC) this.armTimer();
    else this.timerRunning = false; // the current count stays 0
  }

  // --- registers ---

  read(offset: number, size: MmioSize): number {
    if (!this.hardwareEnabled) return size === 4 ? -1 : (1 << (size * 8)) - 1;
    this.clock.poll(); // events due by now (a timer interrupt into IRR) are visible to the read
    const within = offset & 0xf;
    const v = within < 4 ? this.readRegister(offset & 0xff0) : 0; // bytes 4-15 of each 16-byte slot are reserved
    const shifted = v >>> (8 * (within & 3));
    return size === 4 ? shifted | 0 : shifted & ((1 << (size * 8)) - 1);
  }

  write(offset: number, size: MmioSize, value: number): void {
    if (!this.hardwareEnabled || size !== 4 || (offset & 0xf) !== 0) return;
    this.clock.poll();
    this.writeRegister(offset & 0xff0, value >>> 0);
  }

  readRegister(reg: number): number {
    if (reg >= LapicReg.Isr && reg < LapicReg.Isr + 0x80) return this.isr[(reg - LapicReg.Isr) >> 4]! | 0;
    if (reg >= LapicReg.Tmr && reg < LapicReg.Tmr + 0x80) return this.tmr[(reg - LapicReg.Tmr) >> 4]! | 0;
    if (reg >= LapicReg.Irr && reg < LapicReg.Irr + 0x80) return this.irr[(reg - LapicReg.Irr) >> 4]! | 0;
    if (reg >= LapicReg.LvtTimer && reg <= LapicReg.LvtError) {
      const i = (reg - LapicReg.LvtTimer) >> 4;
      let v = this.lvt[i]!;
      if ((i === Lvt.Lint0 || i === Lvt.Lint1) && this.lintRemoteIrr[i - Lvt.Lint0]) v |= LVT_REMOTE_IRR;
      return v | 0;
    }
    switch (reg) {
      case LapicReg.Id: return (this.id << 24) | 0;
      case LapicReg.Version: return VERSION;
      case LapicReg.Tpr: return this.tpr;
      case LapicReg.Apr: return this.apr();
      case LapicReg.Ppr: return this.ppr();
      case LapicReg.Eoi: return 0; // write-only
      case LapicReg.Rrd: return 0; // no remote read in progress
      case LapicReg.Ldr: return this.ldr | 0;
      case LapicReg.Dfr: return this.dfr | 0;
      case LapicReg.Svr: return this.svr;
      case LapicReg.Esr: return this.esr;
      case LapicReg.IcrLow: return this.icrLow; // delivery status (bit 12) is always idle: IPIs are delivered at once
      case LapicReg.IcrHigh: return this.icrHigh | 0;
      case LapicReg.TimerInitial: return this.timerInitial | 0;
      case LapicReg.TimerCurrent: return this.currentCount() | 0;
      case LapicReg.TimerDivide: return this.timerDivide;
      default:
        this.error(ESR_ILLEGAL_REGISTER);
        return 0;
    }
  }

  writeRegister(reg: number, v: number): void {
    if (reg >= LapicReg.LvtTimer && reg <= LapicReg.LvtError) {
      this.writeLvt((reg - LapicReg.LvtTimer) >> 4, v);
      return;
    }
    switch (reg) {
      case LapicReg.Id:
        this.id = v >>> 24;
        return;
      case LapicReg.Tpr:
        this.tpr = v & 0xff;
        return;
      case LapicReg.Eoi:
        this.eoi();
        return;
      case LapicReg.Ldr:
        this.ldr = (v & 0xff000000) >>> 0;
        return;
      case LapicReg.Dfr:
        this.dfr = (v | 0x0fffffff) >>> 0;
        return;
      case LapicReg.Svr:
        this.svr = v & 0x1ff;
        if (!this.softwareEnabled) for (let i = 0; i < LVT_COUNT; i++) this.lvt[i] |= LVT_MASKED;
        return;
      case LapicReg.Esr:
        this.esr = this.esrCollected;
        this.esrCollected = 0;
        return;
      case LapicReg.IcrLow:
        this.icrLow = v & 0x000ccfff;
        this.sendIpi();
        return;
      case LapicReg.IcrHigh:
        this.icrHigh = (v & 0xff000000) >>> 0;
        return;
      case LapicReg.TimerInitial:
        this.timerInitial = v >>> 0;
        this.timerRunning = this.timerInitial !== 0;
        this.timerStart = this.clock.now();
        this.armTimer();
        return;
      case LapicReg.TimerDivide:
        if (this.timerRunning) {
          const cc = this.currentCount();
          this.timerDivide = v & 0xb;
          this.restartFrom(cc);
          this.armTimer();
        } else {
          this.timerDivide = v & 0xb;
        }
        return;
      case LapicReg.Version:
      case LapicReg.Apr:
      case LapicReg.Ppr:
      case LapicReg.Rrd:
      case LapicReg.TimerCurrent:
        return; // read-only
      default:
        if (reg >= LapicReg.Isr && reg < LapicReg.Irr + 0x80) return; // ISR, TMR, IRR are read-only
        this.error(ESR_ILLEGAL_REGISTER);
    }
  }

  private writeLvt(i: number, v: number): void {
    const wasActive = i === Lvt.Lint0 || i === Lvt.Lint1 ? this.lintActive(i - Lvt.Lint0) : false;
    const modeChange = i === Lvt.Timer && this.timerRunning && ((this.lvt[i]! ^ v) & LVT_TIMER_PERIODIC) !== 0;
    const cc = modeChange ? this.currentCount() : 0;
    let e = v & LVT_WRITABLE[i]!;
    if (!this.softwareEnabled) e |= LVT_MASKED;
    this.lvt[i] = e;
    if (i === Lvt.Lint0 || i === Lvt.Lint1) {
      const lint = i - Lvt.Lint0;
      const levelFixed = (e & LVT_LEVEL) !== 0 && ((e >> 8) & 7) === DeliveryMode.Fixed;
      if (!levelFixed) this.lintRemoteIrr[lint] = false;
      // A level-triggered fixed input that is active is delivered now; edge-sensitive ones wait for an edge.
      this.lintChanged(lint, levelFixed ? false : wasActive);
    }
    if (modeChange) {
      // The count in progress goes on in the new mode.
      this.restartFrom(cc);
      this.armTimer();
    }
  }
}
