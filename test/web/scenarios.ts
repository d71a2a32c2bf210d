/**
 * What the end-to-end test does on a guest's console, by kind of guest:
 * wait for it to be ready, type a command, and the output that proves the
 * command ran. The test boots the server's default guest (DEFAULT_GUEST in
 * scripts/web-server.ts: Linux) with the scenario of its kind.
 */
import type { GuestKind } from '../../src/browser/protocol.js';

export interface ConsoleScenario {
  /** The console text (trailing blanks trimmed) once the guest waits for a command, or has finished. */
  readonly ready: RegExp;
  /** Keystrokes to type ('\r' is Enter), or null for a guest that takes none. */
  readonly input: string | null;
  /** The console text after the command ran. */
  readonly expect: readonly RegExp[];
  /** How long the guest may take to get ready. */
  readonly readyTimeoutMs: number;
}

export const SCENARIOS: Readonly<Record<GuestKind, ConsoleScenario>> = {
  // guests/linux/README.md: /init prints "wasmvisor guest ready: Linux <release> i686; …", then busybox sh prompts "/ # "
  // (which the kernel's late messages, "random: crng init done", may follow on the same line).
  linux: {
    ready: /wasmvisor guest ready: Linux [^]*\n\/ # /,
    input: 'uname -sm; echo $((6 * 7))\r',
    // Lines of output alone: the command line's echo contains "42" only inside "$((6 * 7))".
    expect: [/^Linux i686$/m, /^42$/m],
    // About a minute in Node on an idle host; minutes on a loaded 2-core one, where a hung boot fails at this bound.
    readyTimeoutMs: 8 * 60_000,
  },
  // guests/demo/demo.S: prints its results and halts; it reads nothing.
  demo: {
    ready: /^bye$/m,
    input: null,
    expect: [/^cpu vendor: GenuineIntel$/m, /^first 20 primes: 2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 53 59 61 67 71$/m, /^12! = 479001600$/m, /= 414fa339$/m],
    readyTimeoutMs: 60_000,
  },
  // test/web/fixtures/echo.S
  test: {
    ready: /^> ?$/m,
    input: 'echo hello from xterm\r',
    expect: [/^> echo hello from xterm\nhello from xterm\n> ?$/m],
    readyTimeoutMs: 60_000,
  },
};
