/**
 * The VM worker: the page's machine runs here, in bursts of about
 * BURST_MS between which the worker answers the page (start, stop,
 * reset, keystrokes) and sends COM1's output and the counters. A burst
 * ends on a MessageChannel message rather than setTimeout(0), which
 * browsers clamp to 4 ms once timers nest. Guest time is paced to the
 * host's clock, so a guest that idles (an idle kernel halts until its
 * next timer) ends its burst early and the worker sleeps until that
 * timer, or until keystrokes arrive, instead of spinning.
 *
 * Protocol: src/browser/protocol.ts. The engine is imported after the
 * message handler is installed, so that a failure to load it reaches the
 * page as an 'error' message with the reason, and requests that arrive
 * while it loads wait for it.
 */
import './node-globals.js';
import type { FromWorker, GuestImages, MachineOptions, ToWorker, VmState } from './protocol.js';
import { workerScope } from './worker-scope.js';

type Engine = typeof import('./engine.js');
type Session = InstanceType<Engine['VmSession']>;

/** Guest time between two looks at the message queue: short enough for keystrokes to feel immediate. */
const BURST_MS = 12;
/** How often the counters go to the page while the guest runs. */
const STATS_MS = 250;

let engine: Engine | null = null;
const early: ToWorker[] = [];
let session: Session | null = null;
/** The guest last booted: what reset boots again. */
let guest: GuestImages | null = null;
let running = false;
/** The engine threw (a bug, not a guest event): the machine cannot go on. */
let crashed = false;
let serialOut: Uint8Array[] = [];
let lastStats = 0;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  workerScope.postMessage(message, transfer);
}

function state(): VmState {
  if (!session) return 'empty';
  if (crashed || session.ended) return 'ended';
  return running ? 'running' : 'paused';
}

function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // ConfigError is the user's to fix: its message says it all. Anything else is ours: keep where it happened.
  return e.name === 'ConfigError' ? e.message : `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}`;
}

function flushSerial(): void {
  if (serialOut.length === 0) return;
  const total = serialOut.reduce((n, b) => n + b.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const b of serialOut) {
    bytes.set(b, at);
    at += b.length;
  }
  serialOut = [];
  post({ type: 'serial', bytes }, [bytes.buffer]);
}

function sendStats(): void {
  if (!session) return;
  lastStats = performance.now();
  post({ type: 'stats', sample: session.sample() });
}

function sendState(): void {
  post({ type: 'state', state: state() });
}

const tick = new MessageChannel();
let scheduled = false;
tick.port1.onmessage = () => {
  scheduled = false;
  burst();
};
/** The wait of an idle guest (halted until its next timer): the next burst, unless input comes first. */
let idleTimer: ReturnType<typeof setTimeout> | null = null;

function schedule(): void {
  cancelIdle();
  if (scheduled || !running) return;
  scheduled = true;
  tick.port2.postMessage(null);
}

/** Run again in `ms` (the guest idles until then; the worker sleeps rather than spinning). */
function scheduleAfter(ms: number): void {
  cancelIdle();
  if (!running) return;
  idleTimer = setTimeout(() => {
    idleTimer = null;
    burst();
  }, ms);
}

function cancelIdle(): void {
  if (idleTimer === null) return;
  clearTimeout(idleTimer);
  idleTimer = null;
}

function burst(): void {
  if (!running || !session) return;
  let result;
  try {
    result = session.runFor(BURST_MS);
  } catch (e) {
    running = false;
    crashed = true;
    flushSerial();
    post({ type: 'error', message: `engine error: ${errorText(e)}` });
    sendStats();
    sendState();
    return;
  }
  flushSerial();
  if (result) {
    running = false;
    sendStats();
    post({ type: 'ended', status: result.status, outcome: result.outcome.kind, message: result.message });
    sendState();
    return;
  }
  if (performance.now() - lastStats >= STATS_MS) sendStats();
  const idle = session.idleMs;
  if (idle > 0) scheduleAfter(idle);
  else schedule();
}

async function boot(e: Engine, images: GuestImages, options: MachineOptions, run: boolean): Promise<void> {
  running = false;
  cancelIdle();
  crashed = false;
  session?.dispose();
  session = null;
  serialOut = [];
  let service: InstanceType<Engine['WebWorkerCompileService']> | null = null;
  try {
    if (e.compilesAsync(options.tier)) {
      // Loaded before the guest runs: see src/browser/compile-service.ts.
      service = new e.WebWorkerCompileService((message) => post({ type: 'error', message }));
      await service.ready;
    }
    const compiler = service;
    await e.prepareStrategy(options.tier);
    session = new e.VmSession(images, options, {
      serial: (bytes) => serialOut.push(bytes),
      ...(compiler ? { compileService: () => compiler } : {}),
    });
    guest = images;
    post({ type: 'booted', format: session.format, detail: session.detail });
    sendStats();
  } catch (err) {
    service?.close();
    post({ type: 'error', message: errorText(err) });
  }
  running = run && session !== null;
  sendState();
  schedule();
}

async function handle(e: Engine, m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'boot':
      await boot(e, m.guest, m.options, m.run);
      return;
    case 'reset':
      if (!guest) {
        post({ type: 'error', message: 'nothing to reset: no guest has been booted' });
        return;
      }
      await boot(e, guest, m.options, m.run);
      return;
    case 'start':
      if (state() !== 'paused') return;
      running = true;
      sendStats(); // the interval to the next sample is all running time
      sendState();
      schedule();
      return;
    case 'stop':
      if (!running) return;
      running = false;
      cancelIdle();
      flushSerial();
      sendStats();
      sendState();
      return;
    case 'input':
      session?.type(m.bytes);
      // An idle guest takes them now: the UART's interrupt wakes it.
      if (idleTimer !== null) schedule();
      return;
  }
}

/** Requests are handled one after the other: a boot may wait for its compile worker, and what follows waits for the boot. */
let queue: Promise<void> = Promise.resolve();

function enqueue(e: Engine, m: ToWorker): void {
  queue = queue.then(() => handle(e, m)).catch((err: unknown) => post({ type: 'error', message: `engine error: ${errorText(err)}` }));
}

workerScope.addEventListener('message', (event: MessageEvent) => {
  const m = event.data as ToWorker;
  if (engine) enqueue(engine, m);
  else early.push(m);
});

try {
  engine = await import('./engine.js');
  post({ type: 'ready', choices: engine.engineChoices() });
  for (const m of early.splice(0)) enqueue(engine, m);
} catch (e) {
  post({ type: 'error', message: `the engine did not load: ${errorText(e)}` });
}
