/**
 * The bare-metal system guests of test/system/guests/, in every tier the
 * machine offers the issue's tests ('interpreter', 'jit-eager', 'jit-hot', 'jit-inline')
 * under both paging policies ('nested', 'shadow'). Each run's transcript
 * (debug-console lines, then how the run ended) must equal the guest's
 * reviewed NAME.expected line for line, and QEMU's transcript of the same
 * image except where QEMU_DIFFERENCES (catalog.ts) records that QEMU is
 * wrong against the SDM. QEMU's own transcript is checked against
 * NAME.expected too, so that a guest and its expected file cannot drift
 * apart. Without qemu-system-i386 the QEMU comparisons are skipped, and
 * say so; the expected files still check wasmvisor.
 *
 *   npx vitest run test/system/guests.test.ts
 */
import { describe, expect, it } from 'vitest';
import { GUESTS, QEMU_DIFFERENCES, QEMU_REVIEWED, isKnownQemuDifference } from './catalog.js';
import {
  buildGuest, describeMismatch, firstMismatch, GUEST_TIERS, PAGING_POLICIES, qemuVersion, readExpected, runQemu,
  runWasmvisor, type GuestSpec, type PagingPolicy, type Transcript, transcriptLines,
} from './runner.js';

/**
 * What wasmvisor gets wrong today: per guest (and tiers, all when absent),
 * the lines of NAME.expected it does not print, and why. Such a run must
 * differ from NAME.expected on exactly these lines and nowhere else; a run
 * that gets one of them right fails until the entry loses that line, so
 * this list only shrinks.
 */
const KNOWN_FAILING: readonly { guest: string; tiers?: readonly string[]; lines: readonly string[]; reason: string }[] = [];

const TIMEOUT_MS = 60_000;
const QEMU_VERSION = qemuVersion();
const HAVE_QEMU = QEMU_VERSION !== null;
if (!HAVE_QEMU) {
  console.warn('test/system: qemu-system-i386 is not installed: the QEMU comparisons are skipped (scripts/setup.sh installs it)');
} else if (!QEMU_VERSION.startsWith(`${QEMU_REVIEWED}.`)) {
  console.warn(`test/system: QEMU ${QEMU_VERSION} is not the release the known QEMU differences were reviewed against (${QEMU_REVIEWED}); a difference it fixed or added shows as a QEMU failure`);
}

/**
 * One QEMU run per guest, shared by its tests. They are all started at
 * once, two at a time, so that they run while wasmvisor's runs keep this
 * thread busy.
 */
const qemuRuns = new Map<string, Promise<Transcript>>();
if (HAVE_QEMU) {
  const queue = GUESTS.filter((g) => !g.qemu);
  const next = async (): Promise<void> => {
    for (let spec = queue.shift(); spec; spec = queue.shift()) await qemuTranscript(spec).catch(() => {});
  };
  void Promise.all([next(), next()]);
}
function qemuTranscript(spec: GuestSpec): Promise<Transcript> {
  let p = qemuRuns.get(spec.name);
  if (!p) qemuRuns.set(spec.name, (p = runQemu(spec)));
  return p;
}

/** The known-failing entries of a guest in a tier. */
function knownFailing(guest: string, tier: string): typeof KNOWN_FAILING {
  return KNOWN_FAILING.filter((k) => k.guest === guest && (!k.tiers || k.tiers.includes(tier)));
}

describe('system guests', () => {
  it('every known QEMU difference and known failure names a guest', () => {
    const names = new Set(GUESTS.map((g) => g.name));
    for (const d of QEMU_DIFFERENCES) expect(names.has(d.guest), d.guest).toBe(true);
    for (const k of KNOWN_FAILING) {
      expect(names.has(k.guest), k.guest).toBe(true);
      const expected = readExpected(GUESTS.find((g) => g.name === k.guest)!).lines;
      for (const line of k.lines) expect(expected, `${k.guest}.expected has the known-failing line`).toContain(line);
    }
  });

  for (const spec of GUESTS) {
    describe(`${spec.name}: ${spec.about}`, () => {
      it('builds, and has a reviewed expected transcript', () => {
        buildGuest(spec);
        const expected = readExpected(spec);
        expect(expected.lines.length).toBeGreaterThan(0);
      });

      const qemuReason = spec.qemu ?? (HAVE_QEMU ? undefined : 'qemu-system-i386 is not installed');
      it.skipIf(qemuReason !== undefined)(`QEMU (${qemuReason ?? `${QEMU_VERSION}, TCG`}) prints the expected transcript but for the reviewed differences`, async () => {
        const qemu = await qemuTranscript(spec);
        const expected = readExpected(spec);
        const mismatch = firstMismatch(qemu, expected, (q, e) => isKnownQemuDifference(spec.name, q, e));
        expect(mismatch && describeMismatch(mismatch), 'QEMU against NAME.expected').toBeNull();
        // Every difference listed for this guest still happens (otherwise it is stale: remove it).
        const qemuLines = transcriptLines(qemu);
        for (const d of QEMU_DIFFERENCES.filter((x) => x.guest === spec.name)) {
          expect(qemuLines, `QEMU no longer prints ${JSON.stringify(d.qemu)}`).toContain(d.qemu);
        }
      }, TIMEOUT_MS);

      for (const tier of GUEST_TIERS) {
        for (const policy of PAGING_POLICIES) {
          const failing = knownFailing(spec.name, tier);
          const name = `${tier}, ${policy} paging${failing.length ? ` (known failing: ${failing.map((k) => k.reason).join('; ')})` : ''}`;
          it(name, async () => {
            await checkRun(spec, tier, policy, failing.flatMap((k) => k.lines));
          }, TIMEOUT_MS);
        }
      }
    });
  }
});

/**
 * Run a guest and compare its transcript with NAME.expected and with QEMU's.
 * `knownWrong`: expected lines this run is known to get wrong (exactly those).
 */
async function checkRun(spec: GuestSpec, tier: string, policy: PagingPolicy, knownWrong: readonly string[]): Promise<void> {
  const { transcript } = await runWasmvisor(spec, tier, policy);
  const expected = readExpected(spec);
  if (knownWrong.length) {
    // Line for line (a run that went astray fails on its first stray line), wrong exactly where known.
    const got = transcriptLines(transcript);
    const want = transcriptLines(expected);
    const wrong = new Set(knownWrong);
    const mismatch = firstMismatch(transcript, expected, (_a, e) => wrong.has(e));
    expect(mismatch && describeMismatch(mismatch), 'wasmvisor against NAME.expected, but for the known-failing lines').toBeNull();
    const nowRight = want.filter((line, i) => wrong.has(line) && got[i] === line);
    expect(nowRight, 'known-failing lines that now pass: remove them from KNOWN_FAILING').toEqual([]);
    return;
  }
  const mismatch = firstMismatch(transcript, expected);
  expect(mismatch && describeMismatch(mismatch), 'wasmvisor against NAME.expected').toBeNull();
  if (HAVE_QEMU && !spec.qemu) {
    // wasmvisor against QEMU: equal, or equal to the SDM's line where QEMU is known to be wrong.
    const qemu = await qemuTranscript(spec);
    const m = firstMismatch(transcript, qemu, (w, q) => isKnownQemuDifference(spec.name, q, w));
    expect(m && describeMismatch(m), 'wasmvisor against QEMU').toBeNull();
  }
}
