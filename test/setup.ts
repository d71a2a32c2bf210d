/**
 * Vitest's setup for every test file: binaryen.js loaded, as the tools do,
 * for the tests that build modules with binaryen (optimised tiers, text,
 * the encoder comparisons). test/jit/binaryen-lazy.test.ts checks in a
 * fresh process that the default strategy runs without it.
 */
import { loadBinaryen } from '../translator/emit/binaryen-lib.js';

await loadBinaryen();
