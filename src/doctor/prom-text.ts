/**
 * Reading Scylla's Prometheus endpoints: the text exposition format (version 0.0.4) parsed
 * into samples, and a scrape with a timeout. Scylla exports one series per shard (`shard`
 * label); Prometheus adds `instance` when it scrapes, so a node's own endpoint has none and
 * the scrape's URL stands for the node (the built-in emulator serves every node at one URL and
 * labels each series with `instance` itself).
 */
import http from 'node:http';
import https from 'node:https';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  url: string;
  /** host of the URL: the node, when the series carry no `instance` label. */
  host: string;
  samples: Sample[];
}

/** Parses the text format; lines that do not parse are skipped (a scrape is evidence, not input to validate). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const s = parseLine(line);
    if (s) out.push(s);
  }
  return out;
}

function parseLine(line: string): Sample | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!m) return undefined;
  const name = m[1];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') { i++; break; }
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(line.slice(i));
      if (!lm) return undefined;
      i += lm[0].length;
      let v = '';
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && i + 1 < line.length) {
          i++;
          v += line[i] === 'n' ? '\n' : line[i];
        } else v += line[i];
      }
      if (line[i] !== '"') return undefined;
      i++;
      labels[lm[1]] = v;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const value = parseValue(rest[0]);
  if (value === undefined) return undefined;
  return { name, labels, value };
}

function parseValue(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

/** GET url within timeoutMs (node:http: fetch refuses some ports outright); throws one line naming the URL. */
export function scrape(url: string, timeoutMs: number): Promise<Scrape> {
  const u = new URL(url);
  const get = u.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => reject(new Error(`${url}: ${why}`));
    const req = get(u, { timeout: timeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(`HTTP ${res.statusCode}`);
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ url, host: u.hostname.replace(/^\[|\]$/g, ''), samples: parseExposition(text) }));
      res.on('error', (e) => fail(e.message));
    });
    req.on('timeout', () => { req.destroy(); fail(`no answer within ${timeoutMs} ms`); });
    req.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ECONNREFUSED' ? 'connection refused' : e.code ?? e.message));
  });
}

/** The node a sample belongs to: its `instance` label without the port, else the scraped host. */
export function nodeOf(s: Sample, sc: Scrape): string {
  const inst = s.labels.instance;
  if (inst === undefined || inst === '') return sc.host;
  const m = /^\[?([^\]]+?)\]?(:\d+)?$/.exec(inst);
  return m ? m[1] : inst;
}

/** Sums of `name` per (node, shard) over every scrape, optionally filtered by labels. */
export function perShard(scrapes: readonly Scrape[], name: string, where: (l: Record<string, string>) => boolean = () => true): Map<string, number> {
  const out = new Map<string, number>();
  for (const sc of scrapes) {
    for (const s of sc.samples) {
      if (s.name !== name || !where(s.labels) || !Number.isFinite(s.value)) continue;
      const k = `${nodeOf(s, sc)}\u0000${s.labels.shard ?? ''}`;
      out.set(k, (out.get(k) ?? 0) + s.value);
    }
  }
  return out;
}

/** Sum of `name` over every series of every scrape. */
export function total(scrapes: readonly Scrape[], name: string, where: (l: Record<string, string>) => boolean = () => true): number | null {
  let sum = 0;
  let seen = false;
  for (const sc of scrapes) {
    for (const s of sc.samples) {
      if (s.name === name && where(s.labels) && Number.isFinite(s.value)) { sum += s.value; seen = true; }
    }
  }
  return seen ? sum : null;
}

export function splitKey(k: string): { node: string; shard: string } {
  const i = k.indexOf('\u0000');
  return { node: k.slice(0, i), shard: k.slice(i + 1) };
}
