#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm ci` (the prepare script).
//
// Signals are caught before anything loads. A command that stops gracefully (run, ab) claims
// them as it starts and honours one that came during start-up (it stops and still writes a
// result); for any other command an early signal ends the process as it would by default.
const early = [];
let claimed = false;
const onEarly = (sig) => {
  if (claimed) return;
  early.push(sig);
  setTimeout(() => {
    if (claimed) return;
    process.off('SIGINT', onEarly);
    process.off('SIGTERM', onEarly);
    process.kill(process.pid, sig);
  }, 2000).unref();
};
process.on('SIGINT', onEarly);
process.on('SIGTERM', onEarly);
globalThis.__scyllaBenchSignals = {
  /** Takes over signal handling; returns the signals that arrived before. */
  claim() {
    claimed = true;
    process.off('SIGINT', onEarly);
    process.off('SIGTERM', onEarly);
    return early.slice();
  },
};
const { main } = await import('../dist/src/cli/main.js');
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
