/**
 * High-precision constants, computed once in BigInt fixed point with 256
 * fraction bits: the FLDxx constants and what the transcendental
 * instructions need (π for argument reduction, ln 2 for the logarithms).
 */

export const FRAC = 256;
export const FRAC_N = 256n;
export const ONE = 1n << FRAC_N;

/** atanh(1/n) or atan(1/n) (alternate) in fixed point, by its series. */
function arcSeries(n: bigint, alternate: boolean): bigint {
  const n2 = n * n;
  let power = ONE / n; // 1/n^(2k+1)
  let sum = 0n;
  for (let k = 0n; power !== 0n; k++) {
    const term = power / (2n * k + 1n);
    sum += alternate && (k & 1n) ? -term : term;
    power /= n2;
  }
  return sum;
}

/** π = 16 atan(1/5) − 4 atan(1/239) (Machin). */
export const PI = 16n * arcSeries(5n, true) - 4n * arcSeries(239n, true);
/** ln 2 = 2 atanh(1/3). */
export const LN2 = 2n * arcSeries(3n, false);
/** ln 10 = 3 ln 2 + ln(5/4), ln(5/4) = 2 atanh(1/9). */
export const LN10 = 3n * LN2 + 2n * arcSeries(9n, false);
/** log2(e) = 1 / ln 2. */
export const LOG2E = (ONE << FRAC_N) / LN2;
/** log2(10) = ln 10 / ln 2. */
export const LOG2_10 = (LN10 << FRAC_N) / LN2;
/** log10(2) = ln 2 / ln 10. */
export const LOG10_2 = (LN2 << FRAC_N) / LN10;
