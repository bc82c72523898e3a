/**
 * Preloaded into a loader a benchmark measures (`node --import …/cpu-at-first-request.js`; worker
 * threads inherit the preload): the first time a worker thread writes a CQL EXECUTE or BATCH
 * frame — the run's first load request — it writes the whole process's CPU time so far (user +
 * system, every thread) to stderr. Start-up cost, read from the process itself.
 */
import net from 'node:net';
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const EXECUTE = 0x0a;
const BATCH = 0x0d;

if (!isMainThread) {
  const write = net.Socket.prototype.write;
  let seen = false;
  net.Socket.prototype.write = function (this: net.Socket, data: unknown, ...rest: unknown[]): boolean {
    if (!seen && Buffer.isBuffer(data)) {
      // a write may carry several frames: 9-byte v4 headers, body length at offset 5
      for (let off = 0; off + 9 <= data.length; off += 9 + data.readInt32BE(off + 5)) {
        if ((data[off] & 0x7f) === 4 && (data[off + 4] === EXECUTE || data[off + 4] === BATCH)) {
          seen = true;
          const u = process.cpuUsage();
          writeSync(2, `\nCPU_AT_FIRST_REQUEST_US=${u.user + u.system}\n`);
          break;
        }
      }
    }
    return (write as (...a: unknown[]) => boolean).call(this, data, ...rest);
  } as typeof net.Socket.prototype.write;
}
