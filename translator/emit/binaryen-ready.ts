/**
 * Imported for its effect: binaryen.js loaded before the importer's body
 * runs (a top-level await of loadBinaryen). The tools (diff, bench,
 * profile scripts) and the test setup import it first, since the
 * strategies they may run build modules with binaryen (optimised tiers,
 * text, encoder comparisons); the CLI and the browser load it only for
 * such a strategy (prepareStrategy). See binaryen-lib.ts.
 */
import { loadBinaryen } from './binaryen-lib.js';

await loadBinaryen();
