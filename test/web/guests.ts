/**
 * The guests the browser tests add to the server's list: the echo guest
 * (test/web/fixtures/echo.S), which takes typed commands on COM1 the way
 * the Linux guest's shell does, and is ready in a second rather than
 * minutes: the tests of the page's other controls boot it.
 */
import { join } from 'node:path';
import { buildFlatGuest, PROJECT_ROOT } from '../../src/toolchain.js';
import type { GuestSource } from '../../scripts/web-server.js';

// From the project root, not this module: the server may run from its compiled form in dist/.
const here = join(PROJECT_ROOT, 'test', 'web');
/** Screenshots and built test guests (ignored by git: test/web/.gitignore). */
export const ARTIFACTS = join(here, 'artifacts');
export const ECHO_SOURCE = join(here, 'fixtures', 'echo.S');
export const ECHO_IMAGE = join(ARTIFACTS, 'guests', 'echo.bin');

export const ECHO_GUEST: GuestSource = {
  id: 'test-echo',
  title: 'Echo (test guest)',
  kind: 'test',
  format: 'flat',
  cmdline: '',
  memoryMiB: 4,
  images: () => {
    buildFlatGuest([ECHO_SOURCE], ECHO_IMAGE);
    return { kernel: ECHO_IMAGE };
  },
};
