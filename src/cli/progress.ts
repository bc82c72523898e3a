/**
 * The live status line: a rendering of the engine's per-second progress (the engine reports
 * data; only cli/ formats text). Count-bound phases show done/total, rate and ETA.
 */
import type { PhaseProgress } from '../engine/coordinator.js';
import type { IntervalRecord } from '../results/result.js';

/** One line for a completed second of a phase. */
export function formatProgress(p: PhaseProgress): string {
  return `${progressLine(p.phase, p.second, p.record)}${progressOf(p, p.second, p.doneOps)}`;
}

/**
 * How far the phase is: a count-bound phase (a bulk load) shows done/total, its mean rate and an
 * ETA from that rate; a timed phase its elapsed/total seconds.
 */
export function progressOf(ph: { count?: number; durationMs?: number }, elapsedSec: number, doneOps: number): string {
  if (ph.count !== undefined && ph.count > 0) {
    const rate = doneOps / Math.max(1, elapsedSec);
    const left = Math.max(0, ph.count - doneOps);
    const eta = rate > 0 ? formatSeconds(left / rate) : '?';
    return ` — ${doneOps}/${ph.count} (${((doneOps / ph.count) * 100).toFixed(1)}%), ${rate.toFixed(0)} ops/s, ETA ${eta}`;
  }
  if (ph.durationMs !== undefined) return ` — ${elapsedSec}/${Math.ceil(ph.durationMs / 1000)} s`;
  return '';
}

function formatSeconds(sec: number): string {
  const s = Math.ceil(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function progressLine(phase: string, second: number, rec: IntervalRecord): string {
  const parts = Object.entries(rec.classes).map(([cls, c]) => {
    let count = 0;
    let errors = 0;
    let p50 = 0;
    let p99 = 0;
    for (const o of Object.values(c.ops)) {
      count += o.count;
      errors += o.errors;
      p50 = Math.max(p50, o.p50Ms);
      p99 = Math.max(p99, o.p99Ms);
    }
    return `${cls} ${count} ops/s p50 ${p50.toFixed(2)} p99 ${p99.toFixed(2)} ms${errors ? ` errors ${errors}` : ''}`;
  });
  return `[${phase} ${second}s] ${parts.join(' | ')}`;
}

