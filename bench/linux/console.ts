/**
 * Reading a console as the Linux bench times it: bytes arrive from an
 * engine's stdout, each complete line is stamped with the host time its
 * newline arrived, and the stamped lines give the boot time (start to the
 * guest's ready banner), the workload time (begin marker to end marker),
 * each phase's time (its marker to the next) and the workload's output
 * (its checksum lines, without the kernel's messages that may land among
 * them).
 */
import { BEGIN, END, MARKER_PREFIX, type PhaseName } from './workload.js';

/** A console line and the host seconds, since the engine started, at which its newline arrived. */
export interface TimedLine {
  readonly seconds: number;
  readonly text: string;
}

/** Splits a byte stream into lines, stamping each with the clock's reading when its end arrived. */
export class LineStamper {
  private partial = '';
  private readonly decoder = new TextDecoder();

  /** `clock` returns seconds since the engine started. */
  constructor(private readonly clock: () => number) {}

  /** The lines this chunk completes. */
  push(chunk: Uint8Array): TimedLine[] {
    const now = this.clock();
    const text = this.partial + this.decoder.decode(chunk, { stream: true });
    const pieces = text.split('\n');
    this.partial = pieces.pop()!;
    return pieces.map((p) => ({ seconds: now, text: clean(p) }));
  }

  /** The unterminated last line, if any (at the end of the stream). */
  flush(): TimedLine[] {
    const rest = this.partial + this.decoder.decode();
    this.partial = '';
    return rest === '' ? [] : [{ seconds: this.clock(), text: clean(rest) }];
  }
}

/** Drop the serial console's carriage returns. */
const clean = (line: string): string => line.replace(/\r/g, '');

/** A kernel message as the console prints it: `[   12.345678] ...`. */
const KERNEL_MESSAGE = /^\[\s*\d+\.\d+\]/;

export interface ConsoleTimes {
  /** Start to the line that begins with the ready banner; null when not asked for (the native run). */
  bootSeconds: number | null;
  /** Begin marker to end marker. */
  workloadSeconds: number;
  /** Each phase's marker to the next marker. */
  phaseSeconds: Partial<Record<PhaseName, number>>;
  /** The lines the workload printed, kernel messages left out. */
  output: string[];
}

export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
}

/** The marker name of a line, or null when it is no marker line. */
export function markerOf(line: string): string | null {
  if (!line.startsWith(MARKER_PREFIX)) return null;
  const name = line.slice(MARKER_PREFIX.length).trim();
  return /^[a-z]+$/.test(name) ? name : null;
}

/**
 * Times from a run's console. `readyBanner`: the line prefix that ends the
 * boot (absent for the native run, which has none). Throws ConsoleError
 * naming what is missing or out of order.
 */
export function readConsole(lines: readonly TimedLine[], phases: readonly PhaseName[], readyBanner?: string): ConsoleTimes {
  let bootSeconds: number | null = null;
  let i = 0;
  if (readyBanner !== undefined) {
    for (; i < lines.length && bootSeconds === null; i++) if (lines[i]!.text.startsWith(readyBanner)) bootSeconds = lines[i]!.seconds;
    if (bootSeconds === null) throw new ConsoleError(`the guest never printed its ready banner ('${readyBanner}')`);
  }
  const expected = [BEGIN, ...phases, END];
  const stamps: number[] = [];
  const output: string[] = [];
  for (; i < lines.length && stamps.length < expected.length; i++) {
    const { text, seconds } = lines[i]!;
    const marker = markerOf(text);
    if (marker === null) {
      if (stamps.length > 0 && !KERNEL_MESSAGE.test(text)) output.push(text);
      continue;
    }
    const want = expected[stamps.length]!;
    if (marker !== want) throw new ConsoleError(`marker '${marker}' where '${want}' was expected`);
    stamps.push(seconds);
  }
  if (stamps.length < expected.length) {
    throw new ConsoleError(`the workload stopped before its '${expected[stamps.length]}' marker${stamps.length > 0 ? ` (last: '${expected[stamps.length - 1]}')` : ''}`);
  }
  const phaseSeconds: Partial<Record<PhaseName, number>> = {};
  phases.forEach((p, k) => { phaseSeconds[p] = stamps[k + 2]! - stamps[k + 1]!; });
  return { bootSeconds, workloadSeconds: stamps[stamps.length - 1]! - stamps[0]!, phaseSeconds, output };
}
