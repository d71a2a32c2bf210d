/**
 * Vitest's setup for every test file: binaryen.js loaded, as the tools do
 * (translator/emit/binaryen-ready.ts), for the tests that build modules
 * with binaryen (optimised tiers, text, the encoder comparisons).
 * test/jit/binaryen-lazy.test.ts checks in a fresh process that the
 * default strategy runs without it.
 */
import '../translator/emit/binaryen-ready.js';
