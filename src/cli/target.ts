/** Parsing of `--target host[:port],...` into endpoints; errors name the flag and the bad part. */
import { UserError } from './exit.js';

export interface Endpoint {
  host: string;
  port: number;
}

export function parseTargets(spec: string, defaultPort = 9042, flag = '--target'): Endpoint[] {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new UserError(`${flag}: expected host[:port][,host[:port]...], got an empty value`);
  return parts.map((p) => {
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
    if (!host || !/^[A-Za-z0-9._:-]+$/.test(host)) throw new UserError(`${flag}: invalid host in '${p}'`);
    const portNum = port === undefined ? defaultPort : Number(port);
    if (!Number.isInteger(portNum) || portNum < 1 || portNum > 65535) throw new UserError(`${flag}: invalid port in '${p}' (1-65535)`);
    return { host, port: portNum };
  });
}
