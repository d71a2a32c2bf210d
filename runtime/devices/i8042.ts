/**
 * The 8042 keyboard controller of PC/AT and PS/2 machines (data port 0x60,
 * status/command port 0x64) with an MF2 keyboard on its first port and an
 * empty auxiliary (mouse) port; keyboard IRQ 1, auxiliary IRQ 12.
 *
 * Controller, as the AT/PS/2 firmware defines it:
 * - status: OBF, IBF (always 0: commands complete at once), SYS, A2 (last
 *   write was a command), INH (1: not inhibited), AUXB (the output buffer
 *   holds auxiliary data), timeout;
 * - commands: 0x20-0x3F read and 0x60-0x7F write controller RAM (byte 0 is
 *   the command byte: INT, INT2, SYS, keyboard and auxiliary disable, XLAT),
 *   0xA7/0xA8 disable/enable aux, 0xA9 aux interface test (0x00), 0xAA
 *   self-test (0x55), 0xAB keyboard interface test (0x00), 0xAD/0xAE
 *   disable/enable keyboard, 0xC0 read input port, 0xD0/0xD1 read/write
 *   output port (bit 0 = system reset, active low; bit 1 = A20 gate), 0xD2
 *   and 0xD3 write the keyboard/aux output buffer, 0xD4 write to the aux
 *   device, 0xE0 read test inputs, 0xF0-0xFF pulse output port bits 3-0
 *   low (0xFE pulses the reset line);
 * - IRQ 1 follows "output buffer full with keyboard or controller data and
 *   INT set"; IRQ 12 "full with aux data and INT2 set";
 * - translation (XLAT): keyboard bytes pass through the scan code set 2 to
 *   set 1 table, with the 0xF0 break prefix folded into bit 7.
 * Keyboard: 0xFF reset (0xFA, then BAT 0xAA), 0xF2 identify (0xFA 0xAB
 * 0x83), 0xED LEDs, 0xF0 scan code set (only set 2), 0xF3 typematic, 0xF4
 * enable, 0xF5 disable, 0xF6 defaults, 0xEE echo, 0xFE resend; others get
 * 0xFE. Scan codes given by the host (set 2 bytes) are sent while scanning
 * is enabled, 16 bytes of buffer, overrun code 0x00.
 *
 * Departures: replies come at once (a real keyboard takes milliseconds, BAT
 * up to 750 ms); no mouse is attached, so bytes sent to the aux device get
 * 0xFE with the timeout bit, as a PS/2 controller reports a missing device.
 */
import type { PortDevice } from '../io-bus.js';
import type { IrqOutput } from './irq.js';
import { type ByteDevice, byteDevicePorts } from './port-bytes.js';

export const I8042_DATA = 0x60;
export const I8042_STATUS = 0x64;

export const STATUS_OBF = 0x01;
export const STATUS_IBF = 0x02;
export const STATUS_SYS = 0x04;
export const STATUS_CMD = 0x08;
export const STATUS_NOT_INHIBITED = 0x10;
export const STATUS_AUX = 0x20;
export const STATUS_TIMEOUT = 0x40;

export const CTR_KBD_INT = 0x01;
export const CTR_AUX_INT = 0x02;
export const CTR_SYS = 0x04;
export const CTR_KBD_DISABLE = 0x10;
export const CTR_AUX_DISABLE = 0x20;
export const CTR_XLATE = 0x40;

export const OUTPORT_RESET = 0x01;
export const OUTPORT_A20 = 0x02;

/** The 8042's scan code set 2 to set 1 translation for bytes 0x00-0x7F (bytes above pass through, except 0x83 and 0x84). */
const SET2_TO_SET1 = new Uint8Array([
  0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
  0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
  0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
  0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
  0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
  0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
  0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
  0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
]);

function translate(byte: number): number {
  if (byte < 0x80) return SET2_TO_SET1[byte]!;
  if (byte === 0x83) return 0x41; // F7
  if (byte === 0x84) return 0x54; // Alt+SysRq
  return byte;
}

const KBD_ACK = 0xfa;
const KBD_RESEND = 0xfe;
const KBD_BAT_OK = 0xaa;
const KBD_BUFFER = 16;

/** An MF2 keyboard's command interpreter and output buffer. */
class Mf2Keyboard {
  readonly out: number[] = [];
  scanning = true;
  private expectingArg = 0;
  private lastSent = KBD_ACK;
  leds = 0;
  typematic = 0x2b;

  reset(): void {
    this.out.length = 0;
    this.scanning = true;
    this.expectingArg = 0;
    this.leds = 0;
    this.typematic = 0x2b;
  }

  private reply(...bytes: number[]): void {
    for (const b of bytes) this.out.push(b);
    this.lastSent = bytes[bytes.length - 1]!;
  }

  /** A byte from the host (controller) to the keyboard. */
  command(v: number): void {
    const pending = this.expectingArg;
    if (pending) {
      this.expectingArg = 0;
      if (v < 0xed) {
        // An argument, not a new command.
        if (pending === 0xed) this.leds = v & 7;
        else if (pending === 0xf3) this.typematic = v & 0x7f;
        else if (pending === 0xf0 && v === 0) {
          this.reply(KBD_ACK, 0x02); // the current set: 2
          return;
        } else if (pending === 0xf0 && v !== 2) {
          this.reply(KBD_RESEND); // only scan code set 2 is implemented
          return;
        }
        this.reply(KBD_ACK);
        return;
      }
    }
    switch (v) {
      case 0xed: // set LEDs
      case 0xf3: // typematic rate/delay
      case 0xf0: // scan code set
        this.out.length = 0;
        this.expectingArg = v;
        this.reply(KBD_ACK);
        return;
      case 0xee:
        this.reply(0xee);
        return;
      case 0xf2:
        this.reply(KBD_ACK, 0xab, 0x83);
        return;
      case 0xf4:
        this.out.length = 0;
        this.scanning = true;
        this.reply(KBD_ACK);
        return;
      case 0xf5: // disable scanning, restore defaults
        this.out.length = 0;
        this.scanning = false;
        this.typematic = 0x2b;
        this.reply(KBD_ACK);
        return;
      case 0xf6: // restore defaults
        this.out.length = 0;
        this.typematic = 0x2b;
        this.reply(KBD_ACK);
        return;
      case 0xf7: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd:
        this.reply(KBD_ACK); // set 3 key attributes: accepted, meaningless in set 2
        return;
      case 0xfe:
        this.out.push(this.lastSent);
        return;
      case 0xff:
        this.reset();
        this.reply(KBD_ACK, KBD_BAT_OK);
        return;
      default:
        this.reply(KBD_RESEND);
    }
  }

  /** Scan codes from the host's keyboard (set 2 bytes). */
  keys(bytes: Iterable<number>): void {
    if (!this.scanning) return;
    for (const b of bytes) {
      if (this.out.length >= KBD_BUFFER) {
        this.out[KBD_BUFFER - 1] = 0x00; // buffer overrun
        return;
      }
      this.out.push(b & 0xff);
    }
  }
}

export interface I8042Options {
  irq1?: IrqOutput;
  irq12?: IrqOutput;
  /** Output port bit 0 went low: the CPU is reset. */
  onReset?: () => void;
  /** Output port bit 1 changed: the A20 gate. */
  onA20?: (enabled: boolean) => void;
}

const enum Source {
  Controller,
  Keyboard,
  Aux,
}

export class I8042 implements ByteDevice {
  readonly ports: PortDevice = byteDevicePorts(this);
  private readonly keyboard = new Mf2Keyboard();
  private readonly ram = new Uint8Array(32);
  private status = STATUS_NOT_INHIBITED;
  /** After reset the 8042's port pins float high: reset line inactive, A20 enabled; bits 4-5 are the buffer-full lines. */
  private outport = 0xcf;
  private obf = false;
  private obData = 0;
  private obSource = Source.Controller;
  /** Controller replies waiting for the output buffer, with their channel. */
  private readonly replies: { byte: number; source: Source }[] = [];
  private pendingCommand = 0;
  private breakPrefix = false;
  private irq1Level = false;
  private irq12Level = false;

  constructor(private readonly options: I8042Options = {}) {
    this.ram[0] = CTR_KBD_INT | CTR_SYS | CTR_XLATE; // what AT firmware leaves: 0x45
  }

  /** Power-on reset of controller and keyboard. */
  reset(): void {
    this.keyboard.reset();
    this.ram.fill(0);
    this.ram[0] = CTR_KBD_INT | CTR_SYS | CTR_XLATE;
    this.status = STATUS_NOT_INHIBITED;
    this.setOutport(0xcf);
    this.obf = false;
    this.replies.length = 0;
    this.pendingCommand = 0;
    this.breakPrefix = false;
    this.update();
  }

  /** The A20 gate (output port bit 1). */
  get a20(): boolean {
    return (this.outport & OUTPORT_A20) !== 0;
  }

  /** Key events from the host: scan code set 2 bytes (make codes, 0xF0-prefixed break codes, 0xE0 extensions). */
  keys(bytes: Iterable<number>): void {
    this.keyboard.keys(bytes);
    this.update();
  }

  owns(port: number): boolean {
    return port === I8042_DATA || port === I8042_STATUS;
  }

  readByte(port: number): number {
    if (port === I8042_STATUS) {
      return this.status | (this.obf ? STATUS_OBF : 0) | (this.obf && this.obSource === Source.Aux ? STATUS_AUX : 0)
        | (this.ram[0]! & CTR_SYS ? STATUS_SYS : 0);
    }
    const v = this.obData;
    if (this.obf) {
      this.obf = false;
      this.status &= ~STATUS_TIMEOUT;
      this.update();
    }
    return v;
  }

  writeByte(port: number, v: number): void {
    if (port === I8042_STATUS) {
      this.status |= STATUS_CMD;
      this.command(v);
    } else {
      this.status &= ~STATUS_CMD;
      this.data(v);
    }
    this.update();
  }

  private reply(byte: number, source = Source.Controller): void {
    this.replies.push({ byte, source });
  }

  private command(c: number): void {
    this.pendingCommand = 0;
    if (c >= 0x20 && c <= 0x3f) {
      this.reply(this.ram[c - 0x20]!);
      return;
    }
    if ((c >= 0x60 && c <= 0x7f) || c === 0xd1 || c === 0xd2 || c === 0xd3 || c === 0xd4) {
      this.pendingCommand = c;
      return;
    }
    if (c >= 0xf0) {
      // Pulse the output port bits whose command bit is 0 (6 µs): bit 0 is the CPU reset line.
      if (!(c & OUTPORT_RESET)) this.options.onReset?.();
      return;
    }
    switch (c) {
      case 0xa7:
        this.ram[0] |= CTR_AUX_DISABLE;
        return;
      case 0xa8:
        this.ram[0] &= ~CTR_AUX_DISABLE;
        return;
      case 0xa9: // aux interface test: no error
      case 0xab: // keyboard interface test: no error
        this.reply(0x00);
        return;
      case 0xaa: // self-test passed; the system flag is set
        this.ram[0] |= CTR_SYS;
        this.reply(0x55);
        return;
      case 0xad:
        this.ram[0] |= CTR_KBD_DISABLE;
        return;
      case 0xae:
        this.ram[0] &= ~CTR_KBD_DISABLE;
        return;
      case 0xc0: // input port: bit 7 = keyboard not inhibited
        this.reply(0x80);
        return;
      case 0xd0: {
        // Output port, with bits 4 and 5 showing the output-buffer-full lines.
        const full = this.obf || this.replies.length > 0;
        const kbdFull = full && this.obSource !== Source.Aux;
        const auxFull = full && this.obSource === Source.Aux;
        this.reply((this.outport & 0xcf) | (kbdFull ? 0x10 : 0) | (auxFull ? 0x20 : 0));
        return;
      }
      case 0xe0: // test inputs: keyboard clock and data low
        this.reply(0x00);
        return;
      default:
        return; // unknown commands are ignored
    }
  }

  private data(v: number): void {
    const c = this.pendingCommand;
    this.pendingCommand = 0;
    if (c >= 0x60 && c <= 0x7f) {
      this.ram[c - 0x60] = v;
      return;
    }
    switch (c) {
      case 0xd1:
        this.setOutport(v);
        return;
      case 0xd2:
        this.reply(v, Source.Keyboard);
        return;
      case 0xd3:
        this.reply(v, Source.Aux);
        return;
      case 0xd4:
        // No device on the aux port: the controller times out.
        this.status |= STATUS_TIMEOUT;
        this.reply(KBD_RESEND, Source.Aux);
        return;
      default:
        // To the keyboard; sending it data re-enables the keyboard interface.
        this.ram[0] &= ~CTR_KBD_DISABLE;
        this.keyboard.command(v);
    }
  }

  private setOutport(v: number): void {
    const old = this.outport;
    this.outport = v;
    if ((old ^ v) & OUTPORT_A20) this.options.onA20?.((v & OUTPORT_A20) !== 0);
    if (!(v & OUTPORT_RESET)) this.options.onReset?.();
  }

  /** Fill the output buffer if it is empty, then drive IRQ 1 and IRQ 12. */
  private update(): void {
    if (!this.obf) {
      const r = this.replies.shift();
      if (r) {
        this.load(r.byte, r.source);
      } else if (!(this.ram[0]! & CTR_KBD_DISABLE) && this.keyboard.out.length) {
        this.loadKeyboardByte(this.keyboard.out.shift()!);
      }
    }
    const ctr = this.ram[0]!;
    const irq1 = this.obf && this.obSource !== Source.Aux && (ctr & CTR_KBD_INT) !== 0;
    const irq12 = this.obf && this.obSource === Source.Aux && (ctr & CTR_AUX_INT) !== 0;
    if (irq1 !== this.irq1Level) {
      this.irq1Level = irq1;
      this.options.irq1?.(irq1);
    }
    if (irq12 !== this.irq12Level) {
      this.irq12Level = irq12;
      this.options.irq12?.(irq12);
    }
  }

  private load(byte: number, source: Source): void {
    this.obf = true;
    this.obData = byte;
    this.obSource = source;
  }

  /** A keyboard byte into the output buffer, through the translator when XLAT is set. */
  private loadKeyboardByte(b: number): void {
    if (!(this.ram[0]! & CTR_XLATE)) {
      this.load(b, Source.Keyboard);
      return;
    }
    if (b === 0xf0) {
      // The break prefix is folded into the next byte; look at it now if it is there.
      this.breakPrefix = true;
      const next = this.keyboard.out.shift();
      if (next === undefined) return;
      b = next;
    }
    const t = translate(b) | (this.breakPrefix ? 0x80 : 0);
    this.breakPrefix = false;
    this.load(t, Source.Keyboard);
  }
}
