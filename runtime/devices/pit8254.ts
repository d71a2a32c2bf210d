/**
 * The Intel 8254 programmable interval timer (datasheet order 231164) at
 * ports 0x40-0x43, clocked at 1.193182 MHz as on every PC. Counter 0's OUT
 * is IRQ 0; counter 1 (DRAM refresh) has no consumer; counter 2's GATE and
 * OUT are bits 0 and 5 of port 0x61 (runtime/devices/port61.ts), which is
 * how Linux calibrates the TSC.
 *
 * Counters are not ticked: each remembers the CLK edge at which its counting
 * element (CE) was loaded and how many decrements it had made before, and
 * the count, OUT and the status byte are computed from the virtual clock
 * when read. OUT transitions of a counter with a listener (counter 0) are
 * scheduled as clock timers, one per edge.
 *
 * From the datasheet: all six modes (6 and 7 are 2 and 3), binary and BCD
 * counting, LSB/MSB/LSB-then-MSB access with its read and write flip-flops,
 * the counter latch command, the read-back command (count and/or status of
 * several counters), NULL COUNT, the one-CLK delay between writing a count
 * and its transfer to CE, GATE (level-sensitive in modes 0, 2, 3, 4; rising
 * edge triggers in 1, 2, 3, 5), and the rules for a count written during
 * counting (mode 0: the first byte stops counting and drops OUT; modes 2
 * and 3: the new count is used from the end of the current period or
 * half-cycle; modes 1 and 5: from the next trigger; mode 4: next CLK).
 * Mode 3 with an odd count N keeps OUT high for (N + 1) / 2 CLKs and low for
 * (N - 1) / 2.
 *
 * Departure: between writing a count and the next CLK edge (at most 838 ns)
 * a read returns the new count rather than the old, undefined CE.
 */
import { type ClockTimer, type VirtualClock, nsForTicks, ticksIn } from './clock.js';
import { type ByteDevice, byteDevicePorts } from './port-bytes.js';
import type { PortDevice } from '../io-bus.js';

export const PIT_BASE = 0x40;
/** The PC's 8254 input clock: 14.31818 MHz / 12, as Linux and QEMU round it. */
export const PIT_HZ = 1_193_182;
/** The number of CLK edges at or before guest time `ns` (edge k happens at pitTimeOfTick(k)). */
export function pitTicksAt(ns: number): number {
  return ticksIn(ns, PIT_HZ);
}

/** The guest time of CLK edge `k`: the first nanosecond at which pitTicksAt reaches k. */
export function pitTimeOfTick(k: number): number {
  return nsForTicks(k, PIT_HZ);
}

const enum Rw {
  Latch = 0,
  Lsb = 1,
  Msb = 2,
  Word = 3,
}

function toBcd(v: number): number {
  return (v % 10) | ((Math.floor(v / 10) % 10) << 4) | ((Math.floor(v / 100) % 10) << 8) | ((Math.floor(v / 1000) % 10) << 12);
}

function fromBcd(v: number): number {
  return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
}

/** One of the three counters. Ticks are CLK edge numbers (pitTicksAt). */
export class PitCounter {
  /** Effective mode 0-5. */
  mode = 0;
  /** The M2-M0 bits as programmed (6 and 7 read back as written). */
  private modeBits = 0;
  bcd = false;
  private rw: Rw = Rw.Word;
  gate: boolean;

  /** Count register as last completed (raw 16 bits); valid once a count is written after the control word. */
  private cr = 0;
  private crValid = false;
  private writeMsbNext = false;
  private lsbWritten = 0;
  private readMsbNext = false;
  private countLatch: number[] = [];
  private statusLatch: number | null = null;

  /** CE holds a count being counted. When false: CE is `frozenCe` and OUT is `idleOut`. */
  private loaded = false;
  private frozenCe = 0;
  private idleOut = false;
  /** Counting is enabled (GATE, for the modes it gates). */
  private running = false;
  /** Decrements = offset + (tick - loadTick) while running (never negative). */
  private loadTick = 0;
  private offset = 0;
  /** The count of the current cycle, 1..65536 (10000 in BCD). */
  private n = 1;
  /** Modes 2 and 3: a count written while counting takes over at `switchAt`. */
  private switchAt = Infinity;
  private switchN = 0;
  private switchOffset = 0;
  /** NULL COUNT: the count register has not reached CE before this tick. */
  private crLoadTick = Infinity;

  constructor(gate: boolean) {
    this.gate = gate;
  }

  private get modulus(): number {
    return this.bcd ? 10000 : 65536;
  }

  private countOf(raw: number): number {
    if (this.bcd) return fromBcd(raw) || 10000;
    return raw || 65536;
  }

  /** Apply a pending count switch whose tick has come. */
  settle(c: number): void {
    if (c >= this.switchAt) {
      this.n = this.switchN;
      this.loadTick = this.switchAt;
      this.offset = this.switchOffset;
      this.switchAt = Infinity;
    }
  }

  private decrements(c: number): number {
    return this.offset + (this.running ? Math.max(0, c - this.loadTick) : 0);
  }

  /** The tick at which the decrement count reaches x (while running). */
  private tickOf(x: number): number {
    return this.loadTick + (x - this.offset);
  }

  /** CE at tick c. */
  ce(c: number): number {
    if (!this.loaded) return this.frozenCe;
    const d = this.decrements(c);
    const n = this.n;
    switch (this.mode) {
      case 2:
        return (n - (d % n)) % this.modulus;
      case 3: {
        const p = d % n;
        if ((n & 1) === 0) return (n - 2 * (p % (n / 2))) % this.modulus;
        const high = (n + 1) / 2;
        return p < high ? n - 1 - 2 * p : n - 1 - 2 * (p - high);
      }
      default:
        return (((n - d) % this.modulus) + this.modulus) % this.modulus;
    }
  }

  /** OUT at tick c. */
  out(c: number): boolean {
    if (!this.loaded) return this.idleOut;
    const d = this.decrements(c);
    const n = this.n;
    switch (this.mode) {
      case 0:
      case 1:
        return d >= n;
      case 2:
        if (!this.running) return true;
        return n > 1 ? d % n !== n - 1 : false;
      case 3:
        if (!this.running) return true;
        return d % n < Math.ceil(n / 2);
      default: // 4, 5: one CLK low at terminal count
        return d !== n;
    }
  }

  /** The first tick after c at which OUT may change (Infinity if it cannot without a write). */
  nextChange(c: number): number {
    if (!this.loaded || !this.running) return Infinity;
    const d = this.decrements(c);
    const n = this.n;
    let next = Infinity;
    switch (this.mode) {
      case 0:
      case 1:
        if (d < n) next = this.tickOf(n);
        break;
      case 2:
        if (n > 1) {
          const p = d % n;
          next = p < n - 1 ? this.tickOf(d - p + n - 1) : this.tickOf(d + 1);
        }
        break;
      case 3:
        if (n > 1) {
          const p = d % n;
          const high = Math.ceil(n / 2);
          next = p < high ? this.tickOf(d - p + high) : this.tickOf(d - p + n);
        }
        break;
      default:
        if (d < n) next = this.tickOf(n);
        else if (d === n) next = this.tickOf(n + 1);
        break;
    }
    return Math.max(c + 1, Math.min(next, this.switchAt));
  }

  nullCount(c: number): boolean {
    return c < this.crLoadTick;
  }

  status(c: number): number {
    return (this.out(c) ? 0x80 : 0) | (this.nullCount(c) ? 0x40 : 0) | (this.rw << 4) | (this.modeBits << 1) | (this.bcd ? 1 : 0);
  }

  /** CR to CE on the CLK edge after tick c. */
  private load(c: number, n: number): void {
    this.loaded = true;
    this.n = n;
    this.loadTick = c + 1;
    this.offset = 0;
    this.switchAt = Infinity;
    this.running = this.mode === 1 || this.mode === 5 || this.gate;
    this.crLoadTick = c + 1;
  }

  /** Stop counting with CE frozen at its value now and OUT forced. */
  private freeze(c: number, out: boolean): void {
    this.frozenCe = this.ce(c);
    this.idleOut = out;
    this.loaded = false;
    this.running = false;
    this.switchAt = Infinity;
  }

  /** A control word selecting this counter (not a latch command). */
  control(v: number, c: number): void {
    this.settle(c);
    this.frozenCe = this.ce(c);
    this.rw = ((v >> 4) & 3) as Rw;
    this.modeBits = (v >> 1) & 7;
    this.mode = this.modeBits >= 6 ? this.modeBits - 4 : this.modeBits;
    this.bcd = (v & 1) !== 0;
    // "All Control Logic is immediately reset and OUT goes to a known initial state": low in mode 0, high otherwise.
    this.loaded = false;
    this.running = false;
    this.idleOut = this.mode !== 0;
    this.switchAt = Infinity;
    this.crValid = false;
    this.crLoadTick = Infinity;
    this.writeMsbNext = false;
    this.readMsbNext = false;
    this.countLatch = [];
    this.statusLatch = null;
  }

  latchCount(c: number): void {
    if (this.countLatch.length) return; // a latched count is held until read
    this.settle(c);
    const v = this.register(this.ce(c));
    if (this.rw === Rw.Lsb) this.countLatch = [v & 0xff];
    else if (this.rw === Rw.Msb) this.countLatch = [v >> 8];
    else this.countLatch = [v & 0xff, v >> 8];
  }

  latchStatus(c: number): void {
    if (this.statusLatch !== null) return;
    this.settle(c);
    this.statusLatch = this.status(c);
  }

  private register(ce: number): number {
    return this.bcd ? toBcd(ce) : ce;
  }

  read(c: number): number {
    if (this.statusLatch !== null) {
      const s = this.statusLatch;
      this.statusLatch = null;
      return s;
    }
    if (this.countLatch.length) return this.countLatch.shift()!;
    this.settle(c);
    const v = this.register(this.ce(c));
    switch (this.rw) {
      case Rw.Lsb:
        return v & 0xff;
      case Rw.Msb:
        return v >> 8;
      default:
        this.readMsbNext = !this.readMsbNext;
        return this.readMsbNext ? v & 0xff : v >> 8;
    }
  }

  write(byte: number, c: number): void {
    this.settle(c);
    switch (this.rw) {
      case Rw.Lsb:
        this.countWritten(byte, c);
        return;
      case Rw.Msb:
        this.countWritten(byte << 8, c);
        return;
      default:
        if (!this.writeMsbNext) {
          this.writeMsbNext = true;
          this.lsbWritten = byte;
          // Mode 0: writing the first byte disables counting and sets OUT low at once.
          if (this.mode === 0) this.freeze(c, false);
          return;
        }
        this.writeMsbNext = false;
        this.countWritten(this.lsbWritten | (byte << 8), c);
    }
  }

  private countWritten(raw: number, c: number): void {
    this.cr = raw;
    this.crValid = true;
    const n = this.countOf(raw);
    switch (this.mode) {
      case 0:
      case 4:
        this.load(c, n);
        return;
      case 1:
      case 5:
        // Used from the next trigger on.
        this.crLoadTick = Infinity;
        if (!this.loaded) this.idleOut = true;
        return;
      default: {
        // Modes 2, 3: a first count starts on the next CLK; later ones wait for the end of the current period or half-cycle.
        if (!this.loaded || !this.running || c < this.loadTick) {
          this.load(c, n);
          return;
        }
        const d = this.decrements(c);
        const p = d % this.n;
        if (this.mode === 2) {
          this.switchAt = this.tickOf(d - p + this.n);
          this.switchOffset = 0;
        } else {
          const high = Math.ceil(this.n / 2);
          const endsHigh = p < high;
          this.switchAt = this.tickOf(endsHigh ? d - p + high : d - p + this.n);
          this.switchOffset = endsHigh ? Math.ceil(n / 2) : 0;
        }
        this.switchN = n;
        this.crLoadTick = this.switchAt;
      }
    }
  }

  /** Drive GATE at tick c. */
  setGate(level: boolean, c: number): void {
    this.settle(c);
    if (level === this.gate) return;
    this.gate = level;
    switch (this.mode) {
      case 0:
      case 4:
        if (!this.loaded) return;
        if (!level) {
          this.offset = this.decrements(c);
          this.running = false;
        } else {
          this.loadTick = Math.max(this.loadTick, c);
          this.running = true;
        }
        return;
      case 1:
      case 5:
        if (level && this.crValid) this.load(c, this.countOf(this.cr)); // trigger (retriggerable)
        return;
      default:
        if (!level) {
          if (this.loaded) {
            // Counting stops and OUT goes high at once; the rising edge reloads from CR.
            this.offset = this.decrements(c);
            this.running = false;
            this.switchAt = Infinity;
          }
        } else if (this.crValid) {
          this.load(c, this.countOf(this.cr));
        }
    }
  }
}

/** The 8254 with the PC's wiring. */
export class Pit8254 implements ByteDevice {
  readonly counters: readonly PitCounter[] = [new PitCounter(true), new PitCounter(true), new PitCounter(false)];
  readonly ports: PortDevice = byteDevicePorts(this);
  private readonly outputs: (((level: boolean) => void) | null)[] = [null, null, null];
  private readonly levels: boolean[] = [false, false, false];
  private readonly timers: (ClockTimer | null)[] = [null, null, null];

  /** `irq0` receives counter 0's OUT. */
  constructor(private readonly clock: VirtualClock, irq0?: (level: boolean) => void) {
    if (irq0) this.listen(0, irq0);
  }

  /** Follow counter i's OUT with a callback at each transition. */
  listen(i: number, out: (level: boolean) => void): void {
    this.outputs[i] = out;
    this.timers[i] ??= this.clock.timer(() => this.refresh(i));
    this.levels[i] = this.counters[i]!.out(this.tick());
    out(this.levels[i]!);
    this.refresh(i);
  }

  /**
   * Power-on: the datasheet leaves mode, count and OUT undefined; each
   * counter is left as a mode 0 control word leaves it (no count, OUT low),
   * so nothing interrupts until the guest programs a counter.
   */
  reset(): void {
    const c = this.tick();
    for (let i = 0; i < 3; i++) {
      this.counters[i]!.control(0x30, c);
      this.refresh(i);
    }
  }

  /** The current CLK edge number. */
  tick(): number {
    return pitTicksAt(this.clock.now());
  }

  /** Counter 2's GATE (port 0x61 bit 0). */
  setGate(i: number, level: boolean): void {
    this.counters[i]!.setGate(level, this.tick());
    this.refresh(i);
  }

  out(i: number): boolean {
    const c = this.tick();
    const k = this.counters[i]!;
    k.settle(c);
    return k.out(c);
  }

  owns(port: number): boolean {
    return port >= PIT_BASE && port < PIT_BASE + 4;
  }

  readByte(port: number): number {
    const i = port - PIT_BASE;
    if (i === 3) return 0xff; // the control word register cannot be read
    return this.counters[i]!.read(this.tick());
  }

  writeByte(port: number, v: number): void {
    const i = port - PIT_BASE;
    const c = this.tick();
    if (i < 3) {
      this.counters[i]!.write(v, c);
      this.refresh(i);
      return;
    }
    const sc = v >> 6;
    if (sc === 3) {
      // Read-back: bit 5 clear latches counts, bit 4 clear latches status, bits 1-3 select counters.
      for (let k = 0; k < 3; k++) {
        if (!(v & (2 << k))) continue;
        if (!(v & 0x20)) this.counters[k]!.latchCount(c);
        if (!(v & 0x10)) this.counters[k]!.latchStatus(c);
      }
      return;
    }
    if ((v & 0x30) === 0) {
      this.counters[sc]!.latchCount(c);
      return;
    }
    this.counters[sc]!.control(v, c);
    this.refresh(sc);
  }

  /** Report counter i's OUT if it changed and schedule its next transition. */
  private refresh(i: number): void {
    const out = this.outputs[i];
    if (!out) return;
    const c = this.tick();
    const k = this.counters[i]!;
    k.settle(c);
    const level = k.out(c);
    if (level !== this.levels[i]) {
      this.levels[i] = level;
      out(level);
    }
    const next = k.nextChange(c);
    const t = this.timers[i]!;
    if (next === Infinity) t.cancel();
    else t.arm(pitTimeOfTick(next));
  }
}
