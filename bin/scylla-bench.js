#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm ci` (the prepare script).
//
// `run`, `ab` and `capacity` stop gracefully on SIGINT/SIGTERM at every moment (they still write a result),
// so their signals are caught before anything loads: one that comes while the CLI is loading is
// remembered, and the command honours it as it claims the handling. Other commands keep the
// default behaviour.
const command = process.argv[2];
const early = [];
if (command === 'run' || command === 'ab' || command === 'capacity') {
  const remember = (sig) => { early.push(sig); };
  process.on('SIGINT', remember);
  process.on('SIGTERM', remember);
  globalThis.__scyllaBenchSignals = {
    /** Takes over signal handling; returns the signals that arrived before. */
    claim() {
      process.off('SIGINT', remember);
      process.off('SIGTERM', remember);
      return early.slice();
    },
  };
}
// `ps` and `top` show the tool by name; it also tells a supervisor (and our tests) that the
// handlers above are in place — Node's own early handlers only restore the terminal and re-raise
process.title = 'scylla-bench';
const { main } = await import('../dist/src/cli/main.js');
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
