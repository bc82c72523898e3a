/**
 * The one parser of target specs: `host[:port],...` (profiles' `target.hosts` and
 * `--target`), and `sim` / `sim:127.x.y.z` (the built-in emulator, flags only). Results are
 * values, not exceptions: each caller names the spot (a flag, a file position).
 */
import { quoted } from './errors.js';
import type { Parsed } from './units.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** Where a run sends its load. */
export type TargetChoice =
  /** The built-in emulator; `host` is node 1's loopback address when the user chose it. */
  | { kind: 'sim'; host?: string }
  | { kind: 'hosts'; hosts: Endpoint[] };

export const DEFAULT_CQL_PORT = 9042;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = (message: string): Parsed<never> => ({ ok: false, message });

/** `host[:port][,host[:port]...]`, IPv6 as `[v6]:port` or bare `v6`. */
export function parseHosts(spec: string, defaultPort = DEFAULT_CQL_PORT): Parsed<Endpoint[]> {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) return no('expected host[:port][,host[:port]...], got an empty value');
  const out: Endpoint[] = [];
  for (const p of parts) {
    // [v6]:port, v6 without port, host:port, host
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(p);
    let host: string;
    let port: string | undefined;
    if (bracket) {
      host = bracket[1];
      port = bracket[2];
    } else if ((p.match(/:/g) ?? []).length > 1) {
      host = p;
    } else {
      [host, port] = p.split(':');
    }
    if (!host || !/^[A-Za-z0-9._:-]+$/.test(host) || host.startsWith('-')) return no(`invalid host in ${quoted(p)}`);
    const portNum = port === undefined ? defaultPort : /^\d{1,5}$/.test(port) ? Number(port) : NaN;
    if (!Number.isInteger(portNum) || portNum < 1 || portNum > 65535) return no(`invalid port in ${quoted(p)} (1-65535)`);
    out.push({ host, port: portNum });
  }
  return ok(out);
}

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** A `--target` value: `sim`, `sim:127.x.y.z`, or hosts. */
export function parseTarget(spec: string, defaultPort = DEFAULT_CQL_PORT): Parsed<TargetChoice> {
  const s = spec.trim();
  if (s === 'sim') return ok({ kind: 'sim' });
  if (s.startsWith('sim:')) {
    const host = s.slice(4);
    const octets = host.split('.').map(Number);
    if (!LOOPBACK.test(host) || octets.some((o) => o > 255)) {
      return no(`the emulator listens on loopback only: expected sim:127.x.y.z, got ${quoted(spec)}`);
    }
    return ok({ kind: 'sim', host });
  }
  const hosts = parseHosts(s, defaultPort);
  return hosts.ok ? ok({ kind: 'hosts', hosts: hosts.value }) : hosts;
}
