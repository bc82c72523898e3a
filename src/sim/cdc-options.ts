/**
 * A table's `cdc = {...}` options as Scylla parses them (cdc/log.cc `cdc::options::options`):
 * keys and values case-insensitive, booleans `true/false/1/0`, each bad key or value a
 * Config_error with Scylla's text; `toMap` is Scylla's `to_map` (what system_schema.scylla_tables
 * and DESCRIBE show).
 */
import { ConfigError } from './values.js';

export type ImageMode = 'false' | 'true' | 'full';

export interface CdcOptions {
  enabled: boolean;
  /** `true`: the changed columns only; `full`: the whole row */
  preimage: ImageMode;
  postimage: boolean;
  delta: 'full' | 'keys';
  /** the log rows' TTL, s (0: none) */
  ttl: number;
}

export const CDC_DEFAULTS: Readonly<CdcOptions> = Object.freeze({ enabled: false, preimage: 'false', postimage: false, delta: 'full', ttl: 86400 });

/** Parses the option map of CREATE/ALTER TABLE; unspecified options take their defaults. */
export function parseCdcOptions(m: ReadonlyMap<string, string>): CdcOptions {
  const o: CdcOptions = { ...CDC_DEFAULTS };
  for (const [rawKey, raw] of m) {
    const key = rawKey.toLowerCase();
    const val = raw.toLowerCase();
    const isTrue = val === 'true' || val === '1';
    const isFalse = val === 'false' || val === '0';
    const bad = (): never => { throw new ConfigError(`Invalid value for CDC option "${key}": ${raw}`); };
    switch (key) {
      case 'enabled':
        if (!isTrue && !isFalse) bad();
        o.enabled = isTrue;
        break;
      case 'preimage':
        if (isTrue) o.preimage = 'true';
        else if (val === 'full') o.preimage = 'full';
        else if (isFalse) o.preimage = 'false';
        else bad();
        break;
      case 'postimage':
        if (!isTrue && !isFalse) bad();
        o.postimage = isTrue;
        break;
      case 'delta':
        if (val === 'keys') o.delta = 'keys';
        else if (val !== 'full') bad();
        break;
      case 'ttl': {
        // std::stoi: leading whitespace, a sign and digits; the rest is ignored
        const m2 = /^\s*([+-]?\d+)/.exec(raw);
        if (!m2) bad();
        const n = Number(m2![1]);
        if (n > 2147483647 || n < -2147483648) throw new ConfigError('Invalid CDC option: ttl too large');
        if (n < 0) throw new ConfigError('Invalid CDC option: ttl must be >= 0');
        o.ttl = n;
        break;
      }
      default:
        throw new ConfigError(`Invalid CDC option: ${rawKey}`);
    }
  }
  return o;
}

/** Scylla's `to_map`, keys sorted as its std::map. */
export function cdcOptionsMap(o: CdcOptions): Map<string, string> {
  return new Map([
    ['delta', o.delta], ['enabled', o.enabled ? 'true' : 'false'], ['postimage', o.postimage ? 'true' : 'false'],
    ['preimage', o.preimage], ['ttl', String(o.ttl)],
  ]);
}
