/**
 * The two Node globals that engine code on the browser path still reaches
 * for, given to a worker that has neither, reduced to what those call
 * sites use. A stopgap: each line below names the call site and the change
 * that makes it unnecessary (then this module goes).
 *
 * - `process.hrtime.bigint()`: src/machine.ts run() and runAsync() time
 *   the run with it (change: `performance.now()`, in Node and browsers).
 * - `process.env`: translator/emit/string-ops.ts reads the NOBULK debug
 *   switch from it (change: `globalThis.process?.env.NOBULK`, or a
 *   strategy option).
 * - `Buffer.byteLength(s, 'latin1')` and `Buffer.from(s, 'latin1')`:
 *   src/loaders/multiboot.ts writes the command lines and the boot
 *   loader's name with them (change: a Latin-1 loop over charCodeAt).
 *
 * `process` gets no `versions`, so binaryen.js (which tests
 * `process.versions.node`) still sees a browser.
 */

interface ProcessStandIn {
  env: Record<string, string | undefined>;
  hrtime: { bigint(): bigint };
}

interface BufferStandIn {
  byteLength(text: string, encoding: string): number;
  from(text: string, encoding: string): Uint8Array;
}

function latin1Only(encoding: string): void {
  if (encoding !== 'latin1') throw new Error(`Buffer stand-in: only 'latin1' strings are supported in the browser, not '${encoding}'`);
}

const processStandIn: ProcessStandIn = {
  env: {},
  hrtime: {
    // Nanoseconds from the same clock as the exit statistics use (performance.now(), ms).
    bigint: () => BigInt(Math.round(performance.now() * 1e6)),
  },
};

const bufferStandIn: BufferStandIn = {
  byteLength(text, encoding) {
    latin1Only(encoding);
    return text.length;
  },
  from(text, encoding) {
    latin1Only(encoding);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
    return bytes;
  },
};

/** Install the stand-ins where the globals are missing (never over Node's own). */
export function installNodeGlobals(scope: Record<string, unknown> = globalThis as unknown as Record<string, unknown>): void {
  scope['process'] ??= processStandIn;
  scope['Buffer'] ??= bufferStandIn;
}

installNodeGlobals();
