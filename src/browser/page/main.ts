/**
 * The page script (web/index.html loads its compiled form): the serial
 * console in xterm.js, the controls, and the charts. The VM runs in a Web
 * Worker (src/browser/vm-worker.ts); the page sends it the guest's images
 * and the chosen strategies, the keystrokes, and start/stop/reset, and
 * draws what comes back: COM1's bytes and, four times a second, the
 * counters (src/browser/protocol.ts).
 *
 * `window.wasmvisor` exposes what the page shows (state, terminal text,
 * latest rates) for the end-to-end test (test/web/).
 */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import type { EngineChoices, FromWorker, GuestCatalogue, GuestEntry, GuestFormat, GuestImages, MachineOptions, ToWorker, VmState } from '../protocol.js';
import { LineChart, type ChartSeries } from './chart.js';
import { assignColors, busiestReasons, bytes, compact, RateHistory, type RatePoint } from './rates.js';

/** What the page shows, for tests and the console. */
export interface PageView {
  readonly state: VmState | 'loading';
  /** The terminal's buffer (scrollback and screen), one line per row, trailing blanks trimmed. */
  terminalText(): string;
  /** The line under the terminal: how the guest was loaded, how it ended, or what went wrong. */
  readonly message: string;
  readonly isError: boolean;
  readonly latest: RatePoint | null;
  /** Samples received since the last boot. */
  readonly samples: number;
}

declare global {
  interface Window {
    wasmvisor: PageView;
  }
}

const FILE_CHOICE = 'file';
const PREFERRED_TIER = 'jit-hot';
/** The exit reasons that get a line of their own; the rest are summed. */
const EXIT_LINES = 5;
const PALETTE = ['#7fd1b9', '#f0b86e', '#8fb3ff', '#ef7a7a', '#c59cf0'];
const OTHER_COLOR = '#8b96ab';

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

const ui = {
  state: element<HTMLSpanElement>('state'),
  start: element<HTMLButtonElement>('start'),
  stop: element<HTMLButtonElement>('stop'),
  reset: element<HTMLButtonElement>('reset'),
  booted: element<HTMLSpanElement>('booted'),
  terminal: element<HTMLDivElement>('terminal'),
  message: element<HTMLParagraphElement>('message'),
  guest: element<HTMLSelectElement>('guest'),
  files: element<HTMLDivElement>('files'),
  kernelFile: element<HTMLInputElement>('kernel-file'),
  initrdFile: element<HTMLInputElement>('initrd-file'),
  format: element<HTMLSelectElement>('format'),
  cmdline: element<HTMLInputElement>('cmdline'),
  memory: element<HTMLInputElement>('memory'),
  tier: element<HTMLSelectElement>('tier'),
  paging: element<HTMLSelectElement>('paging'),
  fpu: element<HTMLSelectElement>('fpu'),
  cpu: element<HTMLSelectElement>('cpu'),
  mipsValue: element<HTMLOutputElement>('mips-value'),
  exitsValue: element<HTMLOutputElement>('exits-value'),
  exitsLegend: element<HTMLUListElement>('exits-legend'),
  cacheValue: element<HTMLOutputElement>('cache-value'),
};

/** A problem the user can fix (no file chosen, a guest not built), shown as it is. */
class PageError extends Error {}

// --- the terminal ------------------------------------------------------------

const term = new Terminal({
  // Bare-metal guests write "\n" alone; Linux writes "\r\n", which this leaves as it is.
  convertEol: true,
  cursorBlink: true,
  scrollback: 5000,
  fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace',
  fontSize: 14,
  // At 1.0 the DOM renderer clips underscores at the foot of the cell.
  lineHeight: 1.15,
  theme: { background: '#0b0e14', foreground: '#d7deea', cursor: '#7fd1b9', selectionBackground: '#2f6f5e' },
});
const fit = new FitAddon();
term.loadAddon(fit);
term.open(ui.terminal);
new ResizeObserver(() => fit.fit()).observe(ui.terminal);
fit.fit();

function terminalText(): string {
  const buffer = term.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < buffer.length; y++) lines.push(buffer.getLine(y)?.translateToString(true) ?? '');
  return lines.join('\n').replace(/\n+$/, '');
}

// --- state -------------------------------------------------------------------

let state: VmState | 'loading' = 'loading';
let catalogue: GuestCatalogue = { defaultGuest: '', guests: [] };
/** Images already fetched, by URL (a reset or a second boot sends copies). */
const fetched = new Map<string, Uint8Array>();
/** What the worker holds (a reset re-boots it with no transfer), and what the boot in flight will make it hold. */
let bootedKey: string | null = null;
let pendingKey: string | null = null;
let busy = false;
let messageIsError = false;
let samples = 0;
const history = new RateHistory();
const exitColors = new Map<string, string>();

const worker = new Worker(new URL('../vm-worker.js', import.meta.url), { type: 'module' });
const send = (message: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(message, transfer);

function showMessage(text: string, isError = false): void {
  ui.message.textContent = text;
  ui.message.classList.toggle('error', isError);
  messageIsError = isError;
}

function setState(next: VmState | 'loading'): void {
  state = next;
  const labels: Record<VmState | 'loading', string> = { loading: 'loading the engine…', empty: 'no guest', paused: 'stopped', running: 'running', ended: 'guest stopped' };
  ui.state.textContent = labels[next];
  ui.state.dataset['state'] = next;
  updateButtons();
}

function updateButtons(): void {
  const ready = state !== 'loading' && !busy;
  ui.start.disabled = !ready || state === 'running';
  ui.stop.disabled = !ready || state !== 'running';
  ui.reset.disabled = !ready || state === 'empty';
}

// --- guests and options --------------------------------------------------------

function selectedEntry(): GuestEntry | undefined {
  return catalogue.guests.find((g) => g.id === ui.guest.value);
}

function guestChanged(): void {
  const entry = selectedEntry();
  ui.files.hidden = entry !== undefined;
  if (entry) {
    ui.cmdline.value = entry.cmdline;
    ui.memory.value = String(entry.memoryMiB);
    if (!entry.available) showMessage(`${entry.title}: ${entry.reason ?? 'not available'}`, true);
    else if (messageIsError) showMessage('');
  } else {
    ui.memory.value = '128';
  }
}

async function loadCatalogue(): Promise<void> {
  const response = await fetch('/api/guests');
  if (!response.ok) throw new Error(`the server's guest list: HTTP ${response.status}`);
  catalogue = (await response.json()) as GuestCatalogue;
  ui.guest.replaceChildren();
  for (const g of catalogue.guests) {
    const option = new Option(g.available ? g.title : `${g.title} (not built)`, g.id);
    if (!g.available) option.title = g.reason ?? '';
    ui.guest.add(option);
  }
  ui.guest.add(new Option('Kernel and initrd from your disk…', FILE_CHOICE));
  const preferred = catalogue.guests.find((g) => g.id === catalogue.defaultGuest);
  // The default guest's images may not be built (Linux needs `npm run guest:linux`): offer one that
  // boots, and say why the default is not it.
  const fallback = preferred?.available === false ? catalogue.guests.find((g) => g.available) : undefined;
  ui.guest.value = (fallback ?? preferred)?.id ?? catalogue.defaultGuest;
  guestChanged();
  if (preferred && fallback) showMessage(`${preferred.title} is not available (${preferred.reason ?? 'not built'}); selected ${fallback.title} instead.`, true);
}

function fillSelect(select: HTMLSelectElement, values: readonly string[], preferred: string): void {
  select.replaceChildren(...values.map((v) => new Option(v, v)));
  select.value = values.includes(preferred) ? preferred : values[0] ?? '';
}

function fillChoices(choices: EngineChoices): void {
  fillSelect(ui.tier, choices.tiers, PREFERRED_TIER);
  fillSelect(ui.paging, choices.paging, 'nested');
  fillSelect(ui.fpu, choices.fpu, 'exact');
  fillSelect(ui.cpu, choices.cpus, 'i686');
}

function machineOptions(): MachineOptions {
  return {
    memoryMiB: Number(ui.memory.value),
    tier: ui.tier.value,
    paging: ui.paging.value,
    fpu: ui.fpu.value === 'fast' ? 'fast' : 'exact',
    cpu: ui.cpu.value,
  };
}

async function fetchImage(url: string): Promise<Uint8Array> {
  let bytes = fetched.get(url);
  if (!bytes) {
    const response = await fetch(url);
    if (!response.ok) throw new PageError(`${url}: ${(await response.text()).trim() || `HTTP ${response.status}`}`);
    bytes = new Uint8Array(await response.arrayBuffer());
    fetched.set(url, bytes);
  }
  return bytes.slice(); // the copy is transferred to the worker; the cache keeps its own
}

/** The selected guest: a key that changes whenever its images or command line do, and how to get the images. */
function selectedGuest(): { key: string; load: () => Promise<GuestImages> } {
  const cmdline = ui.cmdline.value.trim();
  const entry = selectedEntry();
  if (entry) {
    if (!entry.available) throw new PageError(`${entry.title}: ${entry.reason ?? 'not available'}`);
    return {
      key: JSON.stringify(['server', entry.id, cmdline]),
      load: async () => {
        const [kernel, initrd] = await Promise.all([fetchImage(entry.kernel), entry.initrd ? fetchImage(entry.initrd) : undefined]);
        return { kernel, kernelName: entry.kernelName, cmdline, format: entry.format, ...(initrd ? { initrd, initrdName: entry.initrdName ?? 'initrd' } : {}) };
      },
    };
  }
  const kernelFile = ui.kernelFile.files?.[0];
  if (!kernelFile) throw new PageError('choose a kernel image file first');
  const initrdFile = ui.initrdFile.files?.[0];
  const format = ui.format.value as GuestFormat;
  const id = (f: File | undefined): unknown => (f ? [f.name, f.size, f.lastModified] : null);
  return {
    key: JSON.stringify(['file', id(kernelFile), id(initrdFile), format, cmdline]),
    load: async () => {
      const [kernel, initrd] = await Promise.all([kernelFile.arrayBuffer(), initrdFile?.arrayBuffer()]);
      return {
        kernel: new Uint8Array(kernel),
        kernelName: kernelFile.name,
        cmdline,
        format,
        ...(initrd && initrdFile ? { initrd: new Uint8Array(initrd), initrdName: initrdFile.name } : {}),
      };
    },
  };
}

/**
 * Boot the selected guest; if the worker holds it already, only the
 * options travel. The terminal and the figures are cleared when the
 * worker says the new machine is there ('booted'): whatever the old one
 * sent before arrives first and is dropped with them.
 */
async function boot(run: boolean): Promise<void> {
  busy = true;
  updateButtons();
  try {
    const selected = selectedGuest();
    if (selected.key === bootedKey) {
      send({ type: 'reset', options: machineOptions(), run });
    } else {
      const images = await selected.load();
      pendingKey = selected.key;
      send({ type: 'boot', guest: images, options: machineOptions(), run }, [images.kernel.buffer, ...(images.initrd ? [images.initrd.buffer] : [])]);
    }
    showMessage('booting…');
    term.focus();
  } catch (e) {
    showMessage(e instanceof PageError ? e.message : `cannot start the guest: ${(e as Error).message}`, true);
  } finally {
    busy = false;
    updateButtons();
  }
}

// --- charts ----------------------------------------------------------------------

const charts = {
  mips: new LineChart(element<HTMLCanvasElement>('mips-chart'), compact),
  exits: new LineChart(element<HTMLCanvasElement>('exits-chart'), compact),
  cache: new LineChart(element<HTMLCanvasElement>('cache-chart'), compact),
};

function drawCharts(): void {
  const points = history.points;
  const latest = history.latest;
  const now = latest?.t ?? 0;

  charts.mips.draw([{ color: PALETTE[0]!, points: points.map((p) => [p.t, p.mips] as const) }], now);
  ui.mipsValue.textContent = latest ? `${latest.mips < 10 ? latest.mips.toFixed(2) : latest.mips.toFixed(1)} MIPS` : '–';

  const lines = busiestReasons(points, EXIT_LINES);
  const colors = assignColors(lines, exitColors, PALETTE);
  const series: ChartSeries[] = lines.map((reason) => ({ color: colors.get(reason)!, points: points.map((p) => [p.t, p.exitsPerSecond[reason] ?? 0] as const) }));
  // Summed over the other reasons, not the total less the lines: the difference of two float sums leaves
  // residues such as 3.6e-12/s where every other rate is 0.
  const others = (p: RatePoint): number => Object.entries(p.exitsPerSecond).reduce((n, [r, v]) => (lines.includes(r) ? n : n + v), 0);
  const hasOthers = points.some((p) => others(p) > 0.5);
  if (hasOthers) series.push({ color: OTHER_COLOR, points: points.map((p) => [p.t, Math.max(0, others(p))] as const) });
  charts.exits.draw(series, now);
  ui.exitsValue.textContent = latest ? `${compact(latest.exitsTotalPerSecond)}/s` : '–';
  const legend = lines.map((reason) => ({ name: reason, color: colors.get(reason)!, rate: latest?.exitsPerSecond[reason] ?? 0 }));
  if (hasOthers && latest) legend.push({ name: 'other', color: OTHER_COLOR, rate: Math.max(0, others(latest)) });
  ui.exitsLegend.replaceChildren(...legend.map((l) => {
    const li = document.createElement('li');
    li.style.setProperty('--swatch', l.color);
    li.textContent = `${l.name} ${compact(l.rate)}/s`;
    return li;
  }));

  charts.cache.draw([{ color: PALETTE[2]!, points: points.filter((p) => p.translations !== null).map((p) => [p.t, p.translations!] as const) }], now);
  if (!latest) ui.cacheValue.textContent = '–';
  else if (latest.translations === null) ui.cacheValue.textContent = ui.tier.value === 'interpreter' ? 'none (interpreter)' : 'not available';
  else ui.cacheValue.textContent = `${compact(latest.translations)} translations · ${bytes(latest.wasmBytes ?? 0)}`;
}

// --- the worker's messages ---------------------------------------------------------

worker.addEventListener('message', (event: MessageEvent) => {
  const m = event.data as FromWorker;
  switch (m.type) {
    case 'ready':
      fillChoices(m.choices);
      setState('empty');
      return;
    case 'booted':
      bootedKey = pendingKey ?? bootedKey;
      pendingKey = null;
      term.reset();
      history.clear();
      exitColors.clear();
      samples = 0;
      drawCharts();
      showMessage('');
      ui.booted.textContent = m.detail;
      ui.booted.title = m.detail;
      return;
    case 'state':
      setState(m.state);
      return;
    case 'serial':
      term.write(m.bytes);
      return;
    case 'stats':
      samples++;
      history.add(m.sample);
      drawCharts();
      return;
    case 'ended':
      showMessage(m.message + (m.status !== 0 ? ` (exit status ${m.status})` : ''), m.outcome !== 'halted' && m.outcome !== 'debug-exit');
      return;
    case 'error':
      pendingKey = null;
      showMessage(m.message, true);
      if (state === 'loading') failed('the engine failed');
      return;
  }
});

/** The worker cannot go on: say so in the state pill (the message says why). */
function failed(label: string): void {
  ui.state.textContent = label;
  ui.state.dataset['state'] = 'error';
}

worker.addEventListener('error', (event: ErrorEvent) => {
  showMessage(`the VM worker failed: ${event.message || 'it could not be loaded'}`, true);
  failed('the VM worker failed');
});

term.onData((data) => {
  if (state === 'empty' || state === 'loading') return;
  send({ type: 'input', bytes: new TextEncoder().encode(data) });
});

ui.start.addEventListener('click', () => {
  if (state === 'paused') {
    send({ type: 'start' });
    term.focus();
  } else {
    void boot(true);
  }
});
ui.stop.addEventListener('click', () => send({ type: 'stop' }));
ui.reset.addEventListener('click', () => void boot(state !== 'paused'));
ui.guest.addEventListener('change', guestChanged);
new ResizeObserver(() => drawCharts()).observe(document.body);

window.wasmvisor = {
  get state() {
    return state;
  },
  terminalText,
  get message() {
    return ui.message.textContent ?? '';
  },
  get isError() {
    return messageIsError;
  },
  get latest() {
    return history.latest;
  },
  get samples() {
    return samples;
  },
};

setState('loading');
drawCharts();
loadCatalogue().catch((e: unknown) => showMessage(`cannot list the guests: ${(e as Error).message}`, true));
