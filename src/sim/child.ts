/**
 * The built-in emulator as a child process (started by `spawnSim`, see spawn.ts): its CPU is the
 * target's, never booked as the loader's, and it cannot steal the coordinator's event loop.
 *
 * Lifetime: the parent's IPC channel is the lease. When it closes (the parent exited, crashed or
 * was SIGKILLed) this process exits, so no emulator is ever left behind. Ctrl-C in a terminal
 * signals the whole process group: the emulator ignores SIGINT/SIGTERM for a grace period so the
 * loader can drain and write its result against a live target, then stops it over IPC.
 */
import { startSim, type Sim, type SimOptions } from './index.js';
import type { ChildToParent, ParentToChild } from './spawn.js';

/** After a terminal signal, exit anyway if the parent has not stopped us by then. */
const SIGNAL_GRACE_MS = 15_000;

function send(m: ChildToParent): void {
  if (process.connected) process.send!(m);
}

async function main(): Promise<void> {
  if (!process.send) {
    process.stderr.write('sim child: must be started by spawnSim (no IPC channel)\n');
    process.exit(2);
  }
  let sim: Sim | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      try { await sim?.stop(); } catch { /* exiting anyway */ }
    }
    process.exit(code);
  };
  process.on('disconnect', () => { void stop(0); });
  const onSignal = (): void => { setTimeout(() => { void stop(0); }, SIGNAL_GRACE_MS).unref(); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('message', (m: ParentToChild) => {
    if (m.type === 'start') {
      startSim(m.options as SimOptions).then((s) => {
        sim = s;
        send({ type: 'ready', nodes: s.nodes, metricsUrl: s.metricsUrl, pid: process.pid });
      }, (e: unknown) => {
        send({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
        void stop(1);
      });
    } else if (m.type === 'cpu') {
      const u = process.cpuUsage();
      send({ type: 'cpu', id: m.id, userUs: u.user, systemUs: u.system });
    } else if (m.type === 'node') {
      // answered once the node's listeners are closed (or open again)
      Promise.resolve().then(() => sim?.setNodeUp(m.index, m.up)).then(
        () => send({ type: 'node-ok', id: m.id }),
        (e: unknown) => send({ type: 'node-ok', id: m.id, error: e instanceof Error ? e.message : String(e) }),
      );
    } else if (m.type === 'stop') {
      void stop(0);
    }
  });
}

void main();
