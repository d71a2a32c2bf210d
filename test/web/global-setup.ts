/**
 * Before the browser tests: the page and the engine are served from dist/,
 * so bring it up to date the way every entry point does (scripts/run.mjs
 * rebuilds when a source is newer, and carries on over type errors in
 * files under work).
 */
export default async function setup(): Promise<void> {
  // A specifier in a variable: run.mjs is JavaScript without declarations, and only ensureBuilt is used.
  const runner = '../../scripts/run.mjs';
  const { ensureBuilt } = (await import(runner)) as { ensureBuilt(): void };
  ensureBuilt();
}
