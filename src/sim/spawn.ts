/**
 * Starts the built-in emulator in a child process (child.ts) and talks to it over IPC, as
 * autocannon's `--on-port` runs its target beside the load: the emulator's CPU is measured
 * apart from the loader's (`cpuUsage`), and the two never share an event loop.
 *
 * The child lives exactly as long as this process holds its IPC channel: `stop()` ends it, and
 * if this process dies the channel closes and the child exits by itself (no orphan).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimNodeAddress, SimOptions } from './index.js';

export type ParentToChild =
  | { type: 'start'; options: SimOptions }
  | { type: 'cpu'; id: number }
  | { type: 'node'; id: number; index: number; up: boolean }
  | { type: 'stop' };

export type ChildToParent =
  | { type: 'ready'; nodes: SimNodeAddress[]; metricsUrl?: string; pid: number }
  | { type: 'failed'; message: string }
  | { type: 'cpu'; id: number; userUs: number; systemUs: number }
  | { type: 'node-ok'; id: number; error?: string };

export interface CpuSample {
  userUs: number;
  systemUs: number;
}

export interface SpawnedSim {
  nodes: SimNodeAddress[];
  metricsUrl?: string;
  pid: number;
  /** The child's own CPU since it started (µs). */
  cpuUsage(): Promise<CpuSample>;
  /** Takes a node down or brings it back (the emulator's fault API). */
  setNodeUp(index: number, up: boolean): Promise<void>;
  /** Called once if the child exits before stop() was asked for (a crash, a kill). */
  onExit(cb: (description: string) => void): void;
  stop(): Promise<void>;
}

/** child.js next to this file, or the compiled one under dist/ when running from TypeScript sources. */
export function childScript(): string {
  const here = fileURLToPath(new URL('./child.js', import.meta.url));
  if (existsSync(here)) return here;
  const src = fileURLToPath(new URL('.', import.meta.url));
  const compiled = path.join(src.replace(`${path.sep}src${path.sep}`, `${path.sep}dist${path.sep}src${path.sep}`), 'child.js');
  if (!existsSync(compiled)) throw new Error(`compiled emulator not found at ${compiled}: run npm run build`);
  return compiled;
}

export function spawnSim(options: SimOptions, startTimeoutMs = 30_000): Promise<SpawnedSim> {
  const child: ChildProcess = fork(childScript(), [], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
    // the emulator must not inherit the loader's flags (e.g. --inspect)
    execArgv: [],
  });
  let stderrTail = '';
  child.stderr?.on('data', (d: Buffer) => { stderrTail = (stderrTail + d.toString()).slice(-2000); });
  let nextId = 1;
  const pending = new Map<number, { resolve: (m: ChildToParent) => void; reject: (e: Error) => void }>();
  let exited: string | undefined;
  let stopRequested = false;
  const exitListeners: ((d: string) => void)[] = [];
  const describeExit = (code: number | null, signal: NodeJS.Signals | null): string => {
    const last = stderrTail.trim().split('\n').pop();
    return `the built-in emulator (pid ${child.pid}) exited ${signal ? `on ${signal}` : `with code ${code}`}${last ? `: ${last}` : ''}`;
  };
  const request = <T extends ChildToParent>(m: ParentToChild & { id: number }): Promise<T> => new Promise((resolve, reject) => {
    if (exited || !child.connected) { reject(new Error(exited ?? 'the built-in emulator is not running')); return; }
    pending.set(m.id, { resolve: (r) => resolve(r as T), reject });
    child.send(m);
  });

  return new Promise((resolve, reject) => {
    let started = false;
    const timer = setTimeout(() => {
      if (started) return;
      child.kill('SIGKILL');
      reject(new Error(`the built-in emulator did not start within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    child.on('message', (m: ChildToParent) => {
      if (m.type === 'ready') {
        started = true;
        clearTimeout(timer);
        resolve({
          nodes: m.nodes,
          metricsUrl: m.metricsUrl,
          pid: m.pid,
          cpuUsage: async () => {
            const r = await request<Extract<ChildToParent, { type: 'cpu' }>>({ type: 'cpu', id: nextId++ });
            return { userUs: r.userUs, systemUs: r.systemUs };
          },
          setNodeUp: async (index, up) => {
            const r = await request<Extract<ChildToParent, { type: 'node-ok' }>>({ type: 'node', id: nextId++, index, up });
            if (r.error) throw new Error(r.error);
          },
          onExit: (cb) => { if (exited && !stopRequested) cb(exited); else exitListeners.push(cb); },
          stop: () => new Promise<void>((done) => {
            stopRequested = true;
            if (exited) { done(); return; }
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => { clearTimeout(kill); done(); });
            if (child.connected) child.send({ type: 'stop' } satisfies ParentToChild);
            else child.kill('SIGTERM');
          }),
        });
      } else if (m.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(m.message));
      } else if ('id' in m) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        p?.resolve(m);
      }
    });
    child.on('exit', (code, signal) => {
      exited = describeExit(code, signal);
      for (const p of pending.values()) p.reject(new Error(exited));
      pending.clear();
      if (!started) {
        clearTimeout(timer);
        reject(new Error(exited));
        return;
      }
      if (!stopRequested) for (const cb of exitListeners.splice(0)) cb(exited);
    });
    child.on('error', (e) => {
      if (!started) { clearTimeout(timer); reject(e); }
    });
    child.send({ type: 'start', options } satisfies ParentToChild);
  });
}
