/**
 * The command-line convention every bench suite shares: a parser returns
 * the options, or null for --help; a bad option throws UsageError, which
 * is reported with the suite's usage text and exit status 2.
 */

/** A bad option or value on a bench command line. */
export class UsageError extends Error {}

/** The parsed options, or the exit status when there is nothing to run (2: bad usage, 0: --help). */
export function parseCommandLine<T>(parse: (argv: readonly string[]) => T | null, argv: readonly string[], usage: string): T | number {
  let options: T | null;
  try {
    options = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bench: ${e.message}\n${usage}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(usage);
    return 0;
  }
  return options;
}

/** The value of option `flag`, at argv[at]; a missing value (or the next option in its place) is a UsageError. */
export function optionValue(argv: readonly string[], at: number, flag: string): string {
  const v = argv[at];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  return v;
}
