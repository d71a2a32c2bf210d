/**
 * The browser front end end to end (`npm run test:web`): the project's web
 * server on 127.0.0.1, Debian's Chromium driven headless by
 * playwright-core, the page booting guests in its VM worker.
 *
 * The first test boots the machine's default guest (whatever the server
 * lists as default: Debian's 686 kernel with the busybox initramfs) and
 * plays the console scenario of its kind (test/web/scenarios.ts): for
 * Linux, wait for the shell, type a command and read its output. The echo
 * guest (test/web/fixtures/echo.S) boots in seconds, and covers the rest
 * of the page: stop and start, reset with other strategies, the
 * asynchronous JIT, images from the disk.
 * Screenshots go to test/web/artifacts/; the Linux one is also copied to
 * docs/screenshot.png, the README's picture of the page.
 * WASMVISOR_WEB_GUEST=ID boots another guest as the default (for example
 * the demo, for a quick run); WASMVISOR_CHROMIUM names another Chromium
 * binary.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startWebServer, type GuestSource, type WebServer } from '../../scripts/web-server.js';
import { DEMO_IMAGE, ensureDemoGuest, PROJECT_ROOT } from '../../src/toolchain.js';
import type { GuestCatalogue, VmState } from '../../src/browser/protocol.js';
import { ARTIFACTS, ECHO_GUEST } from './guests.js';
import { SCENARIOS } from './scenarios.js';

const CHROMIUM = process.env['WASMVISOR_CHROMIUM'] ?? '/usr/bin/chromium';
const SCREENSHOT = join(PROJECT_ROOT, 'docs', 'screenshot.png');
/** Time for output that follows a keystroke or a click (the guest is running already). */
const ANSWER_MS = 60_000;

let server: WebServer;
let browser: Browser;

interface OpenPage {
  readonly page: Page;
  /** Every URL the page and its workers requested. */
  readonly requests: string[];
  /** Console errors and uncaught exceptions. */
  readonly problems: string[];
}

async function openPage(): Promise<OpenPage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  await page.goto(server.url);
  await waitForState(page, 'empty', 60_000);
  return { page, requests, problems };
}

async function waitForState(page: Page, state: VmState, timeout = ANSWER_MS): Promise<void> {
  try {
    await page.waitForFunction((s) => window.wasmvisor?.state === s, state, { timeout });
  } catch (e) {
    throw new Error(`the page never reached state '${state}' (${firstLine(e)}); ${await pageSummary(page)}`);
  }
}

const firstLine = (e: unknown): string => (e as Error).message.split('\n')[0]!;

/** What the page shows, for failure messages. */
async function pageSummary(page: Page): Promise<string> {
  const view = await page.evaluate(() => ({ state: window.wasmvisor.state, message: window.wasmvisor.message, latest: window.wasmvisor.latest, samples: window.wasmvisor.samples }));
  return `state '${view.state}', message '${view.message}', ${view.samples} samples, latest ${JSON.stringify(view.latest)}; terminal:\n${await terminalText(page)}`;
}

const terminalText = (page: Page): Promise<string> => page.evaluate(() => window.wasmvisor.terminalText());

/** Wait until the terminal's text matches; on timeout, fail showing the text. */
async function waitForText(page: Page, re: RegExp, timeout = ANSWER_MS): Promise<void> {
  try {
    await page.waitForFunction(([source, flags]) => new RegExp(source!, flags).test(window.wasmvisor.terminalText()), [re.source, re.flags], { timeout, polling: 100 });
  } catch (e) {
    throw new Error(`the terminal never matched ${re} (${firstLine(e)}); ${await pageSummary(page)}`);
  }
}

/** Type into the terminal as a person would: focus it, then the keys ('\r' is Enter, '\b' Backspace). */
async function typeKeys(page: Page, text: string): Promise<void> {
  await page.click('#terminal');
  for (const part of text.split(/([\r\b])/)) {
    if (part === '\r') await page.keyboard.press('Enter');
    else if (part === '\b') await page.keyboard.press('Backspace');
    else if (part) await page.keyboard.type(part);
  }
}

/** The figures have caught up: the latest sample meets `check`. */
async function waitForFigures(page: Page, check: string, timeout = ANSWER_MS): Promise<void> {
  // `check` is an expression over `l` (the latest RatePoint); a string, so that it runs in the page.
  try {
    await page.waitForFunction(`(() => { const l = window.wasmvisor.latest; return !!l && (${check}); })()`, undefined, { timeout, polling: 100 });
  } catch (e) {
    throw new Error(`the figures never met ${check} (${firstLine(e)}); ${await pageSummary(page)}`);
  }
}

async function bootEcho(page: Page, tier: string): Promise<void> {
  await page.selectOption('#guest', ECHO_GUEST.id);
  await page.selectOption('#tier', tier);
  await page.click('#start');
  await waitForState(page, 'running');
  await waitForText(page, SCENARIOS.test.ready);
}

describe('wasmvisor in the browser', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: the browser test drives Debian's chromium package. ` +
        'Install it with `apt-get install chromium` (scripts/setup.sh does, as root), or set WASMVISOR_CHROMIUM to a Chromium binary.',
      );
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    const defaultGuest = process.env['WASMVISOR_WEB_GUEST'];
    server = await startWebServer({ extraGuests: [ECHO_GUEST], ...(defaultGuest ? { defaultGuest } : {}) });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("boots the machine's default guest and answers on its serial console", async () => {
    const catalogue = (await (await fetch(new URL('api/guests', server.url))).json()) as GuestCatalogue;
    const guest = catalogue.guests.find((g) => g.id === catalogue.defaultGuest)!;
    expect(guest.available, `the default guest '${guest.id}' is not available: ${guest.reason}`).toBe(true);
    const scenario = SCENARIOS[guest.kind];

    const { page, requests, problems } = await openPage();
    expect(await page.inputValue('#guest')).toBe(guest.id);
    await page.click('#start');
    const started = performance.now();
    await waitForText(page, scenario.ready, scenario.readyTimeoutMs);
    console.log(`${guest.id}: ready ${((performance.now() - started) / 1000).toFixed(0)} s after Start`);
    if (scenario.input !== null) await typeKeys(page, scenario.input);
    for (const re of scenario.expect) await waitForText(page, re);

    await waitForFigures(page, 'l.mips > 0');
    await page.waitForTimeout(500); // one more sample on the charts
    const shot = join(ARTIFACTS, `default-guest-${guest.id}.png`);
    await page.screenshot({ path: shot });
    if (guest.kind === 'linux') {
      mkdirSync(join(PROJECT_ROOT, 'docs'), { recursive: true });
      copyFileSync(shot, SCREENSHOT);
    }

    // Everything came from this server, the worker's modules too, and the page is cross-origin isolated. The default
    // strategy builds no module with binaryen: binaryen.js (15 MB) is not fetched (translator/emit/binaryen-lib.ts).
    expect(requests.filter((u) => !u.startsWith(server.url))).toEqual([]);
    expect(requests).not.toContain(new URL('node_modules/binaryen/index.js', server.url).href);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('takes commands typed into the terminal, stops and starts, and draws live figures', async () => {
    const { page, problems } = await openPage();
    await bootEcho(page, 'jit-hot');
    await typeKeys(page, SCENARIOS.test.input!);
    for (const re of SCENARIOS.test.expect) await waitForText(page, re);

    // The guest polls COM1: every poll is an I/O exit, and the loop gets compiled.
    await waitForFigures(page, "l.mips > 0 && (l.exitsPerSecond.IO_INSTRUCTION ?? 0) > 1000 && (l.translations ?? 0) > 0");
    expect(await page.textContent('#mips-value')).toMatch(/^\d+(\.\d+)? MIPS$/);
    expect(await page.textContent('#exits-legend')).toMatch(/IO_INSTRUCTION [\d.]+[kM]?\/s/);
    expect(await page.textContent('#cache-value')).toMatch(/^\d+ translations · \d+ KiB$/);

    // Stopped, the guest reads nothing; keystrokes wait for it, and it answers once started again.
    await page.click('#stop');
    await waitForState(page, 'paused');
    await typeKeys(page, 'help\r');
    await page.waitForTimeout(500);
    expect(await terminalText(page)).not.toContain('commands:');
    await page.click('#start');
    await waitForState(page, 'running');
    await waitForText(page, /^> help\ncommands: echo WORDS, help, halt$/m);

    await typeKeys(page, 'echx\bo erased\r');
    await waitForText(page, /^> echo erased\nerased$/m);
    await page.screenshot({ path: join(ARTIFACTS, 'echo-guest.png') });

    await typeKeys(page, 'halt\r');
    await waitForState(page, 'ended');
    expect(await page.evaluate(() => window.wasmvisor.message)).toBe('guest halted');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('resets the guest with the strategies chosen since', async () => {
    const { page, problems } = await openPage();
    await bootEcho(page, 'jit-eager');
    await typeKeys(page, 'echo before\r');
    await waitForText(page, /^before$/m);
    await waitForFigures(page, '(l.translations ?? 0) > 0');

    await page.selectOption('#tier', 'interpreter');
    await page.click('#reset');
    await waitForText(page, /^wasmvisor echo guest: type help\n> ?$/);
    await waitForFigures(page, 'l.translations === null && l.mips > 0');
    expect(await page.textContent('#cache-value')).toBe('none (interpreter)');
    await typeKeys(page, 'echo after\r');
    await waitForText(page, /^after$/m);
    expect(await terminalText(page)).not.toContain('before');
    expect(problems).toEqual([]);
    await page.close();
  });

  it("loads binaryen.js in the VM worker for a strategy that optimises with it", async () => {
    const { page, requests, problems } = await openPage();
    await bootEcho(page, 'jit-hot-O2');
    await typeKeys(page, 'echo optimised\r');
    await waitForText(page, /^optimised$/m);
    await waitForFigures(page, '(l.translations ?? 0) > 0');
    expect(requests).toContain(new URL('node_modules/binaryen/index.js', server.url).href);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('compiles on a Web Worker with the asynchronous JIT strategy', async () => {
    const { page, requests, problems } = await openPage();
    await bootEcho(page, 'jit-hot-async');
    await waitForFigures(page, '(l.translations ?? 0) > 0');
    await typeKeys(page, 'echo compiled elsewhere\r');
    await waitForText(page, /^compiled elsewhere$/m);
    expect(requests).toContain(new URL('dist/src/browser/compile-worker.js', server.url).href);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('selects a guest that is there, saying why, when the default guest is not built', async () => {
    const unbuilt: GuestSource = {
      id: 'test-unbuilt', title: 'Unbuilt Linux', kind: 'linux', format: 'linux', cmdline: 'console=ttyS0', memoryMiB: 64,
      images: () => {
        throw new Error('not built yet: run `npm run guest:linux`');
      },
    };
    const other = await startWebServer({ extraGuests: [unbuilt], defaultGuest: unbuilt.id, log: () => {} });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(other.url);
      await waitForState(page, 'empty');
      expect(await page.inputValue('#guest')).toBe('demo');
      expect(await page.evaluate(() => ({ message: window.wasmvisor.message, isError: window.wasmvisor.isError }))).toEqual({
        message: 'Unbuilt Linux is not available (not built yet: run `npm run guest:linux`); selected Demo (bare metal) instead.',
        isError: true,
      });
      await page.click('#start');
      for (const re of SCENARIOS.demo.expect) await waitForText(page, re);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await other.close();
    }
  });

  it('boots a kernel chosen from the disk, and says why it cannot when it cannot', async () => {
    const { page, problems } = await openPage();
    await page.selectOption('#guest', 'file');
    await page.click('#start');
    await page.waitForFunction(() => window.wasmvisor.isError && window.wasmvisor.message === 'choose a kernel image file first');

    ensureDemoGuest();
    await page.setInputFiles('#kernel-file', DEMO_IMAGE);
    await page.setInputFiles('#initrd-file', DEMO_IMAGE);
    await page.click('#start');
    await page.waitForFunction(() => window.wasmvisor.isError && /flat binary, which takes no initrd/.test(window.wasmvisor.message));
    expect(await page.evaluate(() => window.wasmvisor.state)).toBe('empty');

    // The command line stays as the default (Linux) guest had it: one more thing a flat binary cannot take.
    await page.setInputFiles('#initrd-file', []);
    await page.click('#start');
    await page.waitForFunction(() => window.wasmvisor.isError && /flat binary, which takes no command line/.test(window.wasmvisor.message));
    await page.fill('#cmdline', '');
    await page.click('#start');
    for (const re of SCENARIOS.demo.expect) await waitForText(page, re);
    await waitForState(page, 'ended');
    expect(await page.textContent('#booted')).toMatch(/^flat binary: \d+ bytes at 0x100000$/);
    expect(problems).toEqual([]);
    await page.close();
  });
});
