/**
 * The service-level catalogue: `system.service_levels_v2` rows, their attachments to roles
 * (`system.role_attributes`), and the level a session runs under. The statements over it are in
 * sl-statements.ts; scheduling by shares in qos.ts and capacity.ts.
 *
 * - Built-ins: `default` (1000 shares; not a row of the table, as in Scylla) and `driver`
 *   (200 shares, batch; a row, so LIST ALL shows it). The emulator runs drivers' system-table
 *   reads under `driver` (Scylla isolates drivers' metadata queries there).
 * - A session's level: the level attached to its login role, else `default`; unauthenticated
 *   sessions run under `default`. Role inheritance (GRANT role TO role) is not modelled.
 */

export type WorkloadType = 'interactive' | 'batch';

/** A row of system.service_levels_v2; null = unset (LIST shows null). */
export interface ServiceLevelRow {
  name: string;
  timeoutMs: number | null;
  workloadType: WorkloadType | null;
  shares: number | null;
}

/** What a request runs under, resolved per session and catalogue generation. */
export interface EffectiveLevel {
  name: string;
  shares: number;
  /** replaces every per-kind default timeout when set (service_level_controller) */
  timeoutMs: number | undefined;
  /** interactive levels shed load instead of queueing past 50 ms (transport/server.cc) */
  interactive: boolean;
}

export const DEFAULT_SHARES = 1000;
/** Scylla documents 10 levels including `default` and `driver`. */
export const MAX_USER_LEVELS = 8;
export const DEFAULT_LEVEL: EffectiveLevel = Object.freeze({ name: 'default', shares: DEFAULT_SHARES, timeoutMs: undefined, interactive: false });

function effectiveOf(row: ServiceLevelRow): EffectiveLevel {
  return Object.freeze({ name: row.name, shares: row.shares ?? DEFAULT_SHARES, timeoutMs: row.timeoutMs ?? undefined, interactive: row.workloadType === 'interactive' });
}

export class ServiceLevels {
  /** system.service_levels_v2, by name */
  readonly levels = new Map<string, ServiceLevelRow>();
  /** role → attached level (system.role_attributes, name = 'service_level') */
  readonly attached = new Map<string, string>();
  /** bumped on every change: sessions re-resolve their level */
  generation = 0;
  private readonly cache = new Map<string, EffectiveLevel>();
  private driverLevel: EffectiveLevel | undefined;

  constructor() {
    this.levels.set('driver', { name: 'driver', timeoutMs: null, workloadType: 'batch', shares: 200 });
  }

  changed(): void {
    this.generation++;
    this.cache.clear();
    this.driverLevel = undefined;
  }

  /** The level a login role runs under: its attached level, else `default`. */
  effective(role: string | undefined): EffectiveLevel {
    const key = role ?? '';
    let e = this.cache.get(key);
    if (!e) {
      const name = role !== undefined ? this.attached.get(role) : undefined;
      const row = name !== undefined ? this.levels.get(name) : undefined;
      e = row ? effectiveOf(row) : this.defaultLevel();
      this.cache.set(key, e);
    }
    return e;
  }

  /** `default`, as altered if someone created a row named default. */
  defaultLevel(): EffectiveLevel {
    const row = this.levels.get('default');
    return row ? effectiveOf(row) : DEFAULT_LEVEL;
  }

  /** The built-in level drivers' metadata queries run under. */
  driver(): EffectiveLevel {
    if (!this.driverLevel) {
      const row = this.levels.get('driver');
      this.driverLevel = row ? effectiveOf(row) : effectiveOf({ name: 'driver', timeoutMs: null, workloadType: 'batch', shares: 200 });
    }
    return this.driverLevel;
  }

  roleDropped(role: string): void {
    if (this.attached.delete(role)) this.changed();
  }
}

