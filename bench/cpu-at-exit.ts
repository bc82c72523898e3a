/**
 * Preloaded into a process a benchmark measures (`node --import …/cpu-at-exit.js`): at exit it
 * writes the process's own CPU time (user + system, every thread) and peak RSS to stderr, so a
 * benchmark can read what a whole command cost without timing it from outside.
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

// worker threads inherit the preload: only the process's own exit counts
if (isMainThread) process.on('exit', () => {
  const u = process.cpuUsage();
  writeSync(2, `\nCPU_AT_EXIT_US=${u.user + u.system} MAXRSS_KB=${process.resourceUsage().maxRSS}\n`);
});
