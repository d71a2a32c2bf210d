/**
 * The ISA bus's view of an 8-bit device: a 16- or 32-bit IN/OUT to it is
 * carried out as consecutive byte cycles at port, port + 1, ... Bytes at
 * ports the device does not decode read as all-ones (open bus) and their
 * writes go nowhere. The chipset's legacy devices are all 8-bit.
 */
import type { PortDevice } from '../io-bus.js';

export interface ByteDevice {
  /** Whether the device decodes this port. */
  owns(port: number): boolean;
  readByte(port: number): number;
  writeByte(port: number, value: number): void;
}

export function readBytes(dev: ByteDevice, port: number, size: 1 | 2 | 4): number {
  if (size === 1) return dev.readByte(port) & 0xff;
  let v = 0;
  for (let i = 0; i < size; i++) {
    const p = (port + i) & 0xffff;
    v |= (dev.owns(p) ? dev.readByte(p) & 0xff : 0xff) << (8 * i);
  }
  return size === 4 ? v | 0 : v;
}

export function writeBytes(dev: ByteDevice, port: number, size: 1 | 2 | 4, value: number): void {
  if (size === 1) {
    dev.writeByte(port, value & 0xff);
    return;
  }
  for (let i = 0; i < size; i++) {
    const p = (port + i) & 0xffff;
    if (dev.owns(p)) dev.writeByte(p, (value >>> (8 * i)) & 0xff);
  }
}

/** A PortDevice over a ByteDevice (register it for each range it decodes). */
export function byteDevicePorts(dev: ByteDevice): PortDevice {
  return {
    read: (port, size) => readBytes(dev, port, size),
    write: (port, size, value) => writeBytes(dev, port, size, value),
  };
}
