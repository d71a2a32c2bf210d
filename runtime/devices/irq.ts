/**
 * Interrupt plumbing shared by the chipset's devices and the vCPU.
 *
 * - Devices drive interrupt *lines* by level: `IrqSink.setIrq(line, level)`
 *   with `level` the electrical state of an active-high ISA IRQ line. Whether
 *   a controller reacts to the edge or the level is the controller's
 *   configuration (8259A ICW1.LTIM and ELCR, I/O APIC redirection entries),
 *   exactly as on the board.
 * - A device output is an `IrqOutput` (a bound `setIrq` for one line).
 *   Lines that two devices share (COM1 and COM3 on IRQ 4) go through
 *   `WiredOrLine`: on ISA only one driver is enabled at a time, so the
 *   line is asserted while any driver asserts it.
 * - The vCPU sees an `InterruptController`: the INTR pin (`pending()`) and
 *   the interrupt-acknowledge cycle (`acknowledge()`, which returns the
 *   vector and updates the controller's in-service state as INTA does).
 *   EOIs reach the controllers through their own ports and MMIO.
 */

/** The CPU side of external interrupts (runtime/vcpu.ts adopts this). */
export interface InterruptController {
  /** The INTR input: a maskable external interrupt is waiting. */
  pending(): boolean;
  /** The INTA cycle: the vector of the interrupt taken now. Call only when the CPU accepts an interrupt. */
  acknowledge(): number;
}

/** Where devices send interrupt requests: ISA IRQ lines 0-15 on a PC. */
export interface IrqSink {
  setIrq(line: number, level: boolean): void;
}

/** One device's interrupt output. */
export type IrqOutput = (level: boolean) => void;

/** An output that drives `line` of `sink`. */
export function irqOutput(sink: IrqSink, line: number): IrqOutput {
  return (level) => sink.setIrq(line, level);
}

/** A line several devices may drive: asserted while any of its drivers asserts it. */
export class WiredOrLine {
  private asserted = 0;

  constructor(private readonly out: IrqOutput) {}

  /** A new driver of this line (initially not asserting it). */
  driver(): IrqOutput {
    let mine = false;
    return (level) => {
      if (level === mine) return;
      mine = level;
      const before = this.asserted > 0;
      this.asserted += level ? 1 : -1;
      const after = this.asserted > 0;
      if (before !== after) this.out(after);
    };
  }
}
