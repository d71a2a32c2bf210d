/**
 * A Linux guest's text symbols, from the /proc/kallsyms listing it printed
 * on its console ("c1000000 T startup_32" lines), to name sampled EIPs
 * (scripts/profile-guest.ts, scripts/stats-linux.ts).
 */
export interface KernelSymbol {
  readonly addr: number;
  readonly name: string;
}

/** The text symbols (t, T, w, W) of a kallsyms listing in `text`, by address. */
export function readKallsyms(text: string): KernelSymbol[] {
  const syms: KernelSymbol[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{8}) [tTwW] (\S+)/.exec(line.trim());
    if (m) syms.push({ addr: parseInt(m[1]!, 16), name: m[2]! });
  }
  return syms.sort((a, b) => a.addr - b.addr);
}

/** The name of the symbol at or below `eip`, or null when there is none. */
export function symbolAt(syms: readonly KernelSymbol[], eip: number): string | null {
  let lo = 0;
  let hi = syms.length - 1;
  if (hi < 0 || eip < syms[0]!.addr) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (syms[mid]!.addr <= eip) lo = mid; else hi = mid - 1;
  }
  return syms[lo]!.name;
}
