/**
 * The size of a JIT tier's translation cache: live translations, the
 * modules holding them, and their Wasm bytes. JitStats only has
 * cumulative counters (compiles, evictions, wasmBytes ever emitted), so
 * this reads the tier's own bookkeeping: the `cache` map, the `modules`
 * set and `liveBytes` (runtime/jit/jit.ts, private to TypeScript only).
 * A stopgap until JitTier has a public `cacheSize()` returning these three
 * (reported to its owner): the shape is checked, and a tier that no longer
 * has it gives null, which the page shows as "not available" and the
 * unit test (test/web/session.test.ts) catches.
 */
import type { JitTier } from '../../runtime/jit/jit.js';
import type { CacheSize } from './protocol.js';

interface CacheBookkeeping {
  readonly cache?: unknown;
  readonly modules?: unknown;
  readonly liveBytes?: unknown;
}

export function translationCacheSize(jit: JitTier): CacheSize | null {
  const book = jit as unknown as CacheBookkeeping;
  if (!(book.cache instanceof Map) || !(book.modules instanceof Set) || typeof book.liveBytes !== 'number') return null;
  return { translations: book.cache.size, modules: book.modules.size, wasmBytes: book.liveBytes };
}
