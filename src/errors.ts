/**
 * Errors in what the user asked for (a missing kernel, a bad memory size),
 * as opposed to guest failures (which are run outcomes) and bugs (which are
 * ordinary exceptions). The CLI prints their message alone and exits 2.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
