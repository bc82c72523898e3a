/**
 * The section of one run: key figures, latency and throughput over time with phase marks, the HDR
 * spectra (response and service time per class×op), the (node, shard) load heatmap with its
 * imbalance, errors, and the loader's self-check. Every figure is read from result.json as written;
 * cells that show one carry `data-k` (a JSON pointer into the file) and `data-v` (the value), so a
 * test can hold the page to the file.
 */
import { Charts, colour, spectrumChart, timeline, type SeriesSpec } from './charts.js';
import { clock, esc, fixed, int, ms, na, pct } from './format.js';
import type { RunData } from './input.js';
import { spectrumOfEncoded } from './spectrum.js';

type Phase = RunData['phases'][number];
type Class = Phase['classes'][string];

/** A shard is marked hot at 1.5× the mean (display only: the imbalance figure itself is max/mean). */
export const HOT_SHARD = 1.5;

const RESPONSE_COLOUR = '#1f77b4';
const SERVICE_COLOUR = '#ff7f0e';

/** JSON pointer (RFC 6901) of a value inside the file. */
export function pointer(...parts: (string | number)[]): string {
  return parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** A table cell showing a figure of the file, tagged with where it comes from. */
export function cell(k: string, v: unknown, text: string, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''} data-k="${esc(k)}" data-v="${esc(JSON.stringify(v ?? null))}">${esc(text)}</td>`;
}

/** The phase the key figures describe: the last measure phase, else the last phase that ran classes (as `run` prints). */
export function summaryPhaseIndex(r: RunData): number {
  let last = -1;
  let lastMeasure = -1;
  r.phases.forEach((p, i) => {
    if (Object.keys(p.classes).length === 0) return;
    last = i;
    if (p.kind === 'measure') lastMeasure = i;
  });
  return lastMeasure >= 0 ? lastMeasure : last;
}

function keyFigures(r: RunData, pi: number): string {
  const p = r.phases[pi];
  const windowSec = p.durationMs / 1000;
  const rows: string[] = [];
  for (const [cn, c] of Object.entries(p.classes)) {
    const base = ['phases', pi, 'classes', cn];
    for (const [on, o] of Object.entries(c.ops)) {
      const lat = c.latency;
      const L = o[lat];
      const k = (...f: string[]): string => pointer(...base, 'ops', on, ...f);
      rows.push(`<tr><td>${esc(cn)}</td><td>${esc(on)}</td><td>${esc(lat)}</td>${cell(k('count'), o.count, int(o.count))}${cell(k('errors'), o.errors, int(o.errors), o.errors > 0 ? 'bad' : '')}${cell(k('rows'), o.rows, int(o.rows))}`
        + `<td>${windowSec > 0 ? int(o.count / windowSec) : na}</td>`
        + `${cell(k(lat, 'p50Ms'), L.p50Ms, ms(L.p50Ms))}${cell(k(lat, 'p90Ms'), L.p90Ms, ms(L.p90Ms))}${cell(k(lat, 'p99Ms'), L.p99Ms, ms(L.p99Ms))}`
        + `${cell(k(lat, 'p999Ms'), L.p999Ms, ms(L.p999Ms))}${cell(k(lat, 'maxMs'), L.maxMs, ms(L.maxMs))}</tr>`);
    }
  }
  const classRows = Object.entries(p.classes).map(([cn, c]) => {
    const k = (...f: string[]): string => pointer('phases', pi, 'classes', cn, ...f);
    const kept = c.rate.kept;
    const slo = c.slo.checks.length === 0 ? na : c.slo.pass ? 'pass' : `FAIL (${c.slo.checks.filter((x) => !x.pass).map((x) => `${x.op} ${x.metric} ${x.actual} > ${x.limit}`).join(', ')})`;
    return `<tr><td>${esc(cn)}</td><td>${esc(c.workload)}</td><td>${esc(c.routing)}</td><td>${esc(c.serviceLevel ?? 'default')}</td><td>${esc(c.loop)}</td>`
      + `${cell(k('rate', 'target'), c.rate.target, c.rate.target === null ? na : int(c.rate.target))}${cell(k('rate', 'achieved'), c.rate.achieved, fixed(c.rate.achieved, 1))}`
      + `${cell(k('rate', 'kept'), kept, kept === null ? na : kept ? 'kept' : 'NOT kept', kept === false ? 'bad' : '')}`
      + `${cell(k('shards', 'misrouteRatio'), c.shards.misrouteRatio, pct(c.shards.misrouteRatio))}${cell(k('shards', 'imbalance'), c.shards.imbalance, fixed(c.shards.imbalance, 2), c.shards.imbalance >= HOT_SHARD ? 'bad' : '')}`
      + `<td class="${c.slo.pass ? '' : 'bad'}" data-k="${esc(k('slo', 'pass'))}" data-v="${c.slo.pass}">${esc(slo)}</td></tr>`;
  }).join('');
  return `<h3>Key figures — phase ${esc(p.name)} (${clock(windowSec)} window)</h3>
<div class="scroll"><table class="figures"><thead><tr><th>class</th><th>op</th><th>latency</th><th>ops</th><th>errors</th><th>rows</th><th>ops/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>
<div class="scroll"><table class="figures"><thead><tr><th>class</th><th>workload</th><th>routing</th><th>service level</th><th>loop</th><th>target ops/s</th><th>achieved ops/s</th><th>schedule</th><th>misroute (client)</th><th>shard imbalance</th><th>SLO</th></tr></thead><tbody>${classRows}</tbody></table></div>`;
}

/** Every class that appears in any interval, in order of appearance. */
function classesOverTime(r: RunData): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of r.phases) {
    for (const iv of p.intervals) {
      for (const [cn, c] of Object.entries(iv.classes)) {
        const ops = out.get(cn) ?? [];
        for (const op of Object.keys(c.ops)) if (!ops.includes(op)) ops.push(op);
        out.set(cn, ops);
      }
    }
  }
  return out;
}

/** Errors by kind per second: results written before the intervals carried kinds have counts only. */
const kindsOf = (o: { errorsByKind?: Record<string, number> }): Record<string, number> | undefined => o.errorsByKind;

export interface OverTimeOptions {
  /** A phase mark's label, or null to leave the mark out (a capacity sweep marks its steps by rate). */
  markLabel?: (phase: string) => string | null;
}

/** Latency, throughput and errors per second over every phase, with the phase marks. */
export function overTime(r: RunData, charts: Charts, o: OverTimeOptions = {}): string {
  const { rows, marks: phaseMarks } = timeline(r);
  const marks = o.markLabel
    ? phaseMarks.flatMap((m) => { const label = o.markLabel!(m.label); return label === null ? [] : [{ x: m.x, label }]; })
    : phaseMarks;
  if (rows.length === 0) return '<p class="note">No intervals: nothing to draw over time.</p>';
  const xs = rows.map((row) => row.x);
  const classes = classesOverTime(r);
  const out: string[] = ['<h3>Latency over time</h3><div class="grid1">'];
  const positive = (v: number | undefined): number | null => (v !== undefined && v > 0 ? v : null);
  for (const [cn, ops] of classes) {
    const series: SeriesSpec[] = [];
    const data: (number | null)[][] = [xs];
    ops.forEach((op, i) => {
      const get = (f: 'p50Ms' | 'p99Ms' | 'maxMs'): (number | null)[] => rows.map((row) => {
        const o = row.classes[cn]?.ops[op];
        return o && o.count > 0 ? positive(o[f]) : null;
      });
      series.push({ label: `${op} p50`, color: colour(i), width: 1 }, { label: `${op} p99`, color: colour(i), width: 2.5 }, { label: `${op} max`, color: colour(i), width: 1, dash: [5, 4] });
      data.push(get('p50Ms'), get('p99Ms'), get('maxMs'));
    });
    const lat = r.phases.find((p) => p.classes[cn])?.classes[cn].latency ?? 'response';
    out.push(charts.figure({ title: `class ${cn}: ${lat} time p50 / p99 / max per second`, x: { kind: 'seconds', label: 'time since start' }, y: { label: 'ms (log)', log: true }, series, data, marks }, 'drag across to zoom, double-click to reset; click a legend entry to hide it'));
  }
  out.push('</div><h3>Throughput over time</h3><div class="grid1">');
  const tSeries: SeriesSpec[] = [];
  const tData: (number | null)[][] = [xs];
  [...classes.keys()].forEach((cn, i) => {
    tSeries.push({ label: `${cn} ok/s`, color: colour(i), width: 2 }, { label: `${cn} started/s`, color: colour(i), width: 1, dash: [5, 4] });
    tData.push(
      rows.map((row) => { const c = row.classes[cn]; return c ? Object.values(c.ops).reduce((a, o) => a + o.count, 0) : null; }),
      rows.map((row) => row.classes[cn]?.started ?? null),
    );
  });
  out.push(charts.figure({ title: 'ops per second by class', x: { kind: 'seconds', label: 'time since start' }, y: { label: 'ops/s' }, series: tSeries, data: tData, marks }, 'started: ops handed to a connection that second; ok: successful replies that second (errors below)'));
  out.push('</div>');

  // errors: by kind when the intervals carry kinds, else by class and op
  const byKind = rows.some((row) => Object.values(row.classes).some((c) => Object.values(c.ops).some((o) => kindsOf(o))));
  const eSeries: SeriesSpec[] = [];
  const eData: (number | null)[][] = [xs];
  let errors = 0;
  if (byKind) {
    const kinds = [...new Set(rows.flatMap((row) => Object.values(row.classes).flatMap((c) => Object.values(c.ops).flatMap((o) => Object.keys(kindsOf(o) ?? {})))))];
    kinds.forEach((kind, i) => {
      eSeries.push({ label: kind, color: colour(i), width: 2 });
      eData.push(rows.map((row) => { const n = Object.values(row.classes).reduce((a, c) => a + Object.values(c.ops).reduce((b, o) => b + (kindsOf(o)?.[kind] ?? 0), 0), 0); errors += n; return row.phase ? n : null; }));
    });
  } else {
    let i = 0;
    for (const [cn, ops] of classes) {
      for (const op of ops) {
        eSeries.push({ label: `${cn}.${op}`, color: colour(i++), width: 2 });
        eData.push(rows.map((row) => { const o = row.classes[cn]?.ops[op]; errors += o?.errors ?? 0; return o ? o.errors : null; }));
      }
    }
  }
  out.push('<h3>Errors</h3>');
  out.push(errors === 0
    ? '<p class="good">No errors in any interval.</p>'
    : `<div class="grid1">${charts.figure({ title: byKind ? 'errors per second by kind' : 'errors per second by class.op', x: { kind: 'seconds', label: 'time since start' }, y: { label: 'errors/s' }, series: eSeries, data: eData, marks }, byKind ? '' : 'kinds per phase in the table below (the intervals carry counts only)')}</div>`);
  out.push(errorKinds(r));
  out.push(nodeLoad(r, rows, xs, marks, charts));
  return out.join('\n');
}

/**
 * Per node: requests per second (from each interval's nodeRequests) and, per phase, what the
 * loader's pools went through (reconnects, lost connections, time with no live connection).
 */
function nodeLoad(r: RunData, rows: ReturnType<typeof timeline>['rows'], xs: number[], marks: { x: number; label: string }[], charts: Charts): string {
  const out: string[] = [];
  const width = Math.max(0, ...rows.map((row) => row.nodeRequests?.length ?? 0));
  const hostOf = (n: number): string => r.cluster.nodes[n]?.host ?? `node ${n}`;
  if (width > 0) {
    const series: SeriesSpec[] = [];
    const data: (number | null)[][] = [xs];
    for (let n = 0; n < width; n++) {
      series.push({ label: hostOf(n), color: colour(n), width: 2 });
      data.push(rows.map((row) => (row.nodeRequests ? row.nodeRequests[n] ?? 0 : null)));
    }
    out.push(`<div class="grid1">${charts.figure({ title: 'requests per node per second', x: { kind: 'seconds', label: 'time since start' }, y: { label: 'requests/s' }, series, data, marks }, 'every class; a node the pools could not reach drops to 0')}</div>`);
  }
  const tr: string[] = [];
  r.phases.forEach((p, pi) => {
    (p.nodes ?? []).forEach((nd, ni) => {
      const k = (f: string): string => pointer('phases', pi, 'nodes', ni, f);
      tr.push(`<tr><td>${esc(p.name)}</td><td>${esc(nd.host)}</td>${cell(k('requests'), nd.requests, int(nd.requests))}`
        + `${cell(k('reconnects'), nd.reconnects, int(nd.reconnects), nd.reconnects > 0 ? 'bad' : '')}${cell(k('connectionsLost'), nd.connectionsLost, int(nd.connectionsLost), nd.connectionsLost > 0 ? 'bad' : '')}`
        + `${cell(k('downMs'), nd.downMs, int(nd.downMs), nd.downMs > 0 ? 'bad' : '')}</tr>`);
    });
  });
  if (tr.length > 0) {
    out.push(`<details${r.phases.some((p) => (p.nodes ?? []).some((n) => n.reconnects + n.connectionsLost + n.downMs > 0)) ? ' open' : ''}><summary>connections per node and phase</summary><div class="scroll"><table class="figures"><thead><tr><th>phase</th><th>node</th><th>requests</th><th>reconnects</th><th>connections lost</th><th>down ms</th></tr></thead><tbody>${tr.join('')}</tbody></table></div></details>`);
  }
  return out.length === 0 ? '' : `<h3>Nodes</h3><p class="note">Requests the loader sent to each node per second, and per phase what its connection pools went through: reconnects (connections opened after the first attempt), connections lost, and the longest time any worker had no live connection to the node.</p>\n${out.join('\n')}`;
}

function errorKinds(r: RunData): string {
  const rows: string[] = [];
  r.phases.forEach((p, pi) => {
    for (const [cn, c] of Object.entries(p.classes)) {
      for (const [on, o] of Object.entries(c.ops)) {
        for (const [kind, n] of Object.entries(o.errorsByKind)) {
          rows.push(`<tr><td>${esc(p.name)}</td><td>${esc(cn)}</td><td>${esc(on)}</td><td>${esc(kind)}</td>${cell(pointer('phases', pi, 'classes', cn, 'ops', on, 'errorsByKind', kind), n, int(n), 'bad')}<td>${pct(o.count + o.errors > 0 ? n / (o.count + o.errors) : null, 2)}</td></tr>`);
        }
      }
    }
  });
  return rows.length === 0 ? '' : `<div class="scroll"><table class="figures"><thead><tr><th>phase</th><th>class</th><th>op</th><th>kind</th><th>errors</th><th>of requests</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function spectra(r: RunData, pi: number, charts: Charts): string {
  const p = r.phases[pi];
  const out = [`<h3>Percentile spectrum — phase ${esc(p.name)}</h3><p class="note">Response time counts from each op's intended start (coordinated-omission-correct); service time from send to reply. Closed-loop classes have service time only. The last point of a curve is the maximum.</p><div class="grid2">`];
  for (const [cn, c] of Object.entries(p.classes)) {
    for (const [on, o] of Object.entries(c.ops)) {
      const curves = [
        ...(c.loop === 'open' ? [{ label: 'response', color: RESPONSE_COLOUR, spectrum: spectrumOfEncoded([o.response.histogram]) }] : []),
        { label: 'service', color: SERVICE_COLOUR, dash: c.loop === 'open' ? [6, 4] : undefined, spectrum: spectrumOfEncoded([o.service.histogram]) },
      ];
      if (curves.every((x) => x.spectrum.count === 0)) {
        out.push(`<p class="note">${esc(cn)}.${esc(on)}: no values recorded.</p>`);
        continue;
      }
      out.push(charts.figure(spectrumChart(`${cn}.${on}: latency by percentile`, curves)));
    }
  }
  out.push('</div>');
  return out.join('\n');
}

function heatmap(r: RunData, pi: number): string {
  const p = r.phases[pi];
  const out = [`<h3>Shard load — phase ${esc(p.name)}</h3><p class="note">Requests per (node, shard), counted at the shard that owns each token. Imbalance = busiest (node, shard) ÷ mean; cells at ≥ ${HOT_SHARD}× the mean are outlined. ScyllaDB's guidance lists unmonitored shard imbalance as a red line.</p>`];
  for (const [cn, c] of Object.entries(p.classes)) {
    const req = c.shards.requests;
    const cells = req.flat();
    const max = Math.max(0, ...cells);
    const mean = cells.length ? cells.reduce((a, b) => a + b, 0) / cells.length : 0;
    const base = ['phases', pi, 'classes', cn, 'shards'];
    const shards = Math.max(0, ...req.map((row) => row.length));
    const head = Array.from({ length: shards }, (_, s) => `<th>shard ${s}</th>`).join('');
    const body = req.map((row, n) => `<tr><th>${esc(r.cluster.nodes[n]?.host ?? `node ${n}`)}</th>${row.map((v, s) => {
      const mis = c.shards.misrouted[n]?.[s] ?? 0;
      const alpha = max > 0 ? 0.08 + 0.8 * (v / max) : 0;
      return `<td class="heat${mean > 0 && v >= HOT_SHARD * mean ? ' hot' : ''}" style="background:rgba(31,119,180,${alpha.toFixed(3)});color:${alpha > 0.55 ? '#fff' : '#111'}" title="${esc(`${v} requests, ${mis} misrouted`)}" data-k="${esc(pointer(...base, 'requests', n, s))}" data-v="${v}">${int(v)}${mis > 0 ? `<small> (${int(mis)} mis)</small>` : ''}</td>`;
    }).join('')}</tr>`).join('');
    const imb = c.shards.imbalance;
    out.push(`<div class="heatbox"><div class="heathead">class <b>${esc(cn)}</b>: shard imbalance <span class="${imb >= HOT_SHARD ? 'bad' : 'good'} big" data-k="${esc(pointer(...base, 'imbalance'))}" data-v="${imb}">${fixed(imb, 2)}</span> over ${cells.length} (node, shard)${c.shards.misrouteRatio === null ? '; misroutes unknown (driver routing)' : `; misrouted ${pct(c.shards.misrouteRatio)}`}</div><table class="heat"><thead><tr><th>node</th>${head}</tr></thead><tbody>${body}</tbody></table></div>`);
  }
  return out.join('\n');
}

const KiB = 1024;
/** Large-partition records listed on the page (all of them stay in result.json). */
const MAX_RECORDS_SHOWN = 50;
const bytes = (n: number): string => (n >= KiB * KiB ? `${fixed(n / (KiB * KiB), 1)} MiB` : n >= KiB ? `${fixed(n / KiB, 1)} KiB` : `${int(n)} B`);

/**
 * What the run checked of the data itself, in every phase: `--validate` (rows compared with the
 * generators), each CDC consumer (changes read against the changes the writers made), each view
 * the writes were followed into, and partition sizes (estimated before the run; recorded by the
 * cluster after it). Empty when the run checked none of these.
 */
export function dataChecks(r: RunData): string {
  const out: string[] = [];
  const validateRows: string[] = [];
  const cdcRows: string[] = [];
  const viewRows: string[] = [];
  r.phases.forEach((p, pi) => {
    for (const [cn, c] of Object.entries(p.classes)) {
      const k = (...f: (string | number)[]): string => pointer('phases', pi, 'classes', cn, ...f);
      for (const [on, o] of Object.entries(c.ops)) {
        const v = o.validation;
        if (!v) continue;
        validateRows.push(`<tr><td>${esc(p.name)}</td><td>${esc(cn)}</td><td>${esc(on)}</td>${cell(k('ops', on, 'rows'), o.rows, int(o.rows))}${cell(k('ops', on, 'validation', 'checked'), v.checked, int(v.checked))}`
          + `${cell(k('ops', on, 'validation', 'mismatch'), v.mismatch, int(v.mismatch), v.mismatch > 0 ? 'bad' : 'good')}${cell(k('ops', on, 'validation', 'missing'), v.missing, int(v.missing), v.missing > 0 ? 'bad' : 'good')}</tr>`);
      }
      const d = c.cdc;
      if (d) {
        cdcRows.push(`<tr><td>${esc(p.name)}</td><td>${esc(cn)}</td><td>${esc(d.table)}</td><td>${esc(d.generationSource)}: ${int(d.generations)} generation(s), ${int(d.streams)} streams in ${int(d.groups)} groups</td>`
          + `${cell(k('cdc', 'changes'), d.changes, int(d.changes))}${cell(k('cdc', 'expected'), d.expected, d.expected === null ? na : int(d.expected))}`
          + `${cell(k('cdc', 'missing'), d.missing, int(d.missing), d.missing > d.writeErrors ? 'bad' : 'good')}${cell(k('cdc', 'duplicate'), d.duplicate, int(d.duplicate), d.duplicate > 0 ? 'bad' : 'good')}`
          + `${cell(k('cdc', 'unexpected'), d.unexpected, int(d.unexpected))}<td>${int(d.queries)} (${int(d.failedQueries)} failed)</td>`
          + `${cell(k('cdc', 'caughtUp'), d.caughtUp, d.caughtUp ? `yes, ${fixed(d.drainMs / 1000, 1)} s after the writers` : `NO (drained ${fixed(d.drainMs / 1000, 1)} s)`, d.caughtUp ? 'good' : 'bad')}`
          + `<td class="wrap">${d.notValidated === null ? 'validated' : esc(`not validated: ${d.notValidated}`)}</td></tr>`);
      }
      const w = c.viewLag;
      if (w) {
        viewRows.push(`<tr><td>${esc(p.name)}</td><td>${esc(cn)}</td>${cell(k('viewLag', 'sampled'), w.sampled, int(w.sampled))}${cell(k('viewLag', 'seen'), w.seen, int(w.seen))}`
          + `${cell(k('viewLag', 'timeouts'), w.timeouts, int(w.timeouts), w.timeouts > 0 ? 'bad' : 'good')}${cell(k('viewLag', 'unresolved'), w.unresolved, int(w.unresolved))}<td>${int(w.polls)} (${int(w.pollErrors)} failed)</td></tr>`);
      }
    }
  });
  if (validateRows.length > 0) {
    out.push(`<h4>Reads validated (--validate)</h4><p class="note">Every row a read returned, compared with the values the generators give it (later overwrites, TTLs and deletes of the run itself respected); a read of a row the run wrote that returned nothing is missing.</p>
<div class="scroll"><table class="figures"><thead><tr><th>phase</th><th>class</th><th>op</th><th>rows returned</th><th>rows checked</th><th>mismatch</th><th>missing</th></tr></thead><tbody>${validateRows.join('')}</tbody></table></div>`);
  }
  if (cdcRows.length > 0) {
    out.push(`<h4>CDC consumers</h4><p class="note">Changes read from the log against the changes the writer classes made; the lag itself is the <code>cdc-lag</code> op above (read time − the write's <code>cdc$time</code>). A missing change is allowed only for a failed write.</p>
<div class="scroll"><table class="figures"><thead><tr><th>phase</th><th>class</th><th>log of</th><th>streams</th><th>changes read</th><th>written</th><th>missing</th><th>duplicate</th><th>unexpected</th><th>queries</th><th>caught up</th><th></th></tr></thead><tbody>${cdcRows.join('')}</tbody></table></div>`);
  }
  if (viewRows.length > 0) {
    out.push(`<h4>Materialized views followed</h4><p class="note">Sampled base writes polled for in every view they reach; the lag (write acknowledged → row visible) is the <code>view-lag</code> op above.</p>
<div class="scroll"><table class="figures"><thead><tr><th>phase</th><th>class</th><th>writes sampled</th><th>rows seen</th><th>timed out</th><th>unresolved at the end</th><th>polls</th></tr></thead><tbody>${viewRows.join('')}</tbody></table></div>`);
  }
  const est = r.partitions ?? [];
  if (est.length > 0) {
    const rows = est.map((e, i) => `<tr><td>${esc(e.workload)}</td><td>${esc(e.table)}</td><td>${fixed(e.rowsPerPartition.mean, 1)} / ${int(e.rowsPerPartition.max)}</td><td>${bytes(e.meanRowBytes)}</td><td>${bytes(e.meanPartitionBytes)}</td>`
      + `${cell(pointer('partitions', i, 'maxPartitionBytes'), e.maxPartitionBytes, bytes(e.maxPartitionBytes), e.overRedLine ? 'bad' : '')}</tr>`).join('');
    const recs = r.largePartitionRecords;
    // the largest first; a cluster can hold thousands of records, the page shows the worst ones
    const shown = (recs ?? []).map((x, i) => ({ x, i })).sort((a, b) => b.x.partitionBytes - a.x.partitionBytes).slice(0, MAX_RECORDS_SHOWN);
    const more = (recs?.length ?? 0) - shown.length;
    const recRows = shown.map(({ x, i }) => `<tr><td>${esc(`${x.keyspace}.${x.table}`)}</td><td><code>${esc(x.partitionKey)}</code></td>${cell(pointer('largePartitionRecords', i, 'partitionBytes'), x.partitionBytes, bytes(x.partitionBytes), 'bad')}<td>${x.rows === null ? na : int(x.rows)}</td><td>${esc(x.nodes.join(', '))}</td></tr>`).join('')
      + (more > 0 ? `<tr><td colspan="5" class="note">and ${int(more)} more in result.json</td></tr>` : '');
    out.push(`<h4>Partition sizes</h4><p class="note">Estimated from the workloads before the run (cells only: a floor); over 100 MB is ScyllaDB's red line. After the run, the partitions the cluster itself recorded in <code>system.large_partitions</code>.</p>
<div class="scroll"><table class="figures"><thead><tr><th>workload</th><th>table</th><th>rows per partition (mean / max)</th><th>mean row</th><th>mean partition</th><th>largest partition</th></tr></thead><tbody>${rows}</tbody></table></div>`
      + (recs === undefined ? '<p class="note">The target has no <code>system.large_partitions</code>.</p>'
        : recs.length === 0 ? '<p class="note good">No partition of the run\'s tables in <code>system.large_partitions</code>.</p>'
          : `<div class="scroll"><table class="figures"><thead><tr><th>table</th><th>partition</th><th>size</th><th>rows</th><th>recorded by</th></tr></thead><tbody>${recRows}</tbody></table></div>`));
  }
  return out.length === 0 ? '' : `<h3>Data checks</h3>\n${out.join('\n')}`;
}

/** `anchor`: each phase's first row gets the id `${anchor}-${phase}` (a capacity step links to it). */
export function selfCheck(r: RunData, anchor?: string): string {
  const rateRows: string[] = [];
  const cpuRows: string[] = [];
  r.phases.forEach((p, pi) => {
    const classes = Object.entries(p.classes);
    if (classes.length === 0) return;
    classes.forEach(([cn, c], ci) => {
      const k = (...f: string[]): string => pointer('phases', pi, 'classes', cn, ...f);
      const s = c.schedule ?? null;
      const kept = c.rate.kept;
      rateRows.push(`<tr${anchor && ci === 0 ? ` id="${esc(`${anchor}-${p.name}`)}"` : ''}><td>${esc(p.name)}</td><td>${esc(cn)}</td><td>${esc(c.loop)}</td><td>${c.rate.target === null ? na : int(c.rate.target)}</td><td>${fixed(c.rate.achieved, 1)}</td>`
        + `${cell(k('rate', 'kept'), kept, kept === null ? na : kept ? 'kept' : 'NOT kept', kept === false ? 'bad' : kept ? 'good' : '')}`
        + `<td>${int(c.rate.sent)}</td><td>${int(c.rate.sentAfterWindow)}</td><td>${c.rate.unsent === null || c.rate.unsent === undefined ? na : int(c.rate.unsent)}</td>`
        + `<td>${pct(s?.within1msRatio)}</td><td>${pct(s?.within10msRatio)}</td>${s ? cell(k('schedule', 'lagP50Ms'), s.lagP50Ms, ms(s.lagP50Ms)) : `<td>${na}</td>`}${s ? cell(k('schedule', 'lagP99Ms'), s.lagP99Ms, ms(s.lagP99Ms), s.lagP99Ms > 10 ? 'bad' : '') : `<td>${na}</td>`}<td>${ms(s?.lagMaxMs)}</td></tr>`);
    });
    const L = p.loader;
    const k = (...f: string[]): string => pointer('phases', pi, ...f);
    const b = p.bottleneck ?? null;
    cpuRows.push(`<tr><td>${esc(p.name)}</td><td>${fixed(p.durationMs / 1000, 1)}</td><td>${p.wallMs === undefined ? na : fixed(p.wallMs / 1000, 1)}</td>`
      + `<td>${fixed(L.cpuSec, 2)}</td>${cell(k('loader', 'cpuFraction'), L.cpuFraction, pct(L.cpuFraction), L.cpuFraction > 0.9 ? 'bad' : '')}${cell(k('loader', 'cpuUsPerOp'), L.cpuUsPerOp, fixed(L.cpuUsPerOp, 1))}`
      + `<td>${pct(L.eventLoopUtilizationMax)}</td><td>${pct(L.eventLoopUtilizationMean)}</td><td>${ms(L.eventLoopDelayP99MsMax)}</td>`
      + `<td>${p.target ? fixed(p.target.coresUsed, 2) : na}</td><td>${p.target ? fixed(p.target.cpuUsPerOp, 1) : na}</td><td>${p.targetCrossShardOps === null || p.targetCrossShardOps === undefined ? na : int(p.targetCrossShardOps)}</td>`
      + `<td class="wrap ${b ? 'bad' : 'good'}" data-k="${esc(k('bottleneck'))}" data-v="${esc(JSON.stringify(b))}">${b ? `<b>${esc(b.kind)}</b>: ${esc(b.evidence)}` : 'none'}</td></tr>`);
  });
  if (rateRows.length === 0) return '';
  return `<h3>Loader self-check</h3><p class="note">Is the load the one asked for? The schedule is kept when ≥ 99 % of the target rate left inside the window and the schedule lag p99 is ≤ 10 ms; otherwise the latencies describe another load. Loader CPU is the whole process over the phase's wall time, as a share of the machine's ${int(r.environment.cpus)} cores.</p>
<div class="scroll"><table class="figures"><thead><tr><th>phase</th><th>class</th><th>loop</th><th>target ops/s</th><th>achieved</th><th>schedule</th><th>sent</th><th>sent after window</th><th>unsent</th><th>within 1 ms</th><th>within 10 ms</th><th>lag p50 ms</th><th>lag p99 ms</th><th>lag max ms</th></tr></thead><tbody>${rateRows.join('')}</tbody></table></div>
<div class="scroll"><table class="figures"><thead><tr><th>phase</th><th>window s</th><th>wall s</th><th>loader CPU s</th><th>loader CPU (machine)</th><th>loader µs/op</th><th>event loop max</th><th>event loop mean</th><th>loop delay p99 ms</th><th>target cores</th><th>target µs/op</th><th>cross-shard ops (target)</th><th>bottleneck</th></tr></thead><tbody>${cpuRows.join('')}</tbody></table></div>`;
}

export function header(r: RunData): string {
  const c = r.cluster;
  const shape = `${c.nodes.length} node${c.nodes.length === 1 ? '' : 's'}${c.nrShards ? ` × ${c.nrShards} shards` : ''}`;
  const target = r.targetLabel ?? c.nodes.map((n) => `${n.host}:${n.port}`).join(', ');
  const durSec = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
  const warn = r.warnings.length === 0 ? '' : `<details class="warnings"${r.warnings.length <= 4 ? ' open' : ''}><summary>${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}</summary><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></details>`;
  return `<dl class="meta"><dt>profile</dt><dd>${esc(r.profile.name)}</dd><dt>target</dt><dd>${esc(target)}</dd>`
    + `<dt>cluster</dt><dd>${esc(c.clusterName ?? '')} ${esc(shape)}, ${c.scylla ? 'Scylla' : 'not Scylla'} ${esc(c.releaseVersion ?? '')}</dd>`
    + `<dt>loader</dt><dd>Node ${esc(r.environment.node)}, ${int(r.environment.cpus)} × ${esc(r.environment.cpuModel)}, ${int(r.environment.workers)} worker(s)</dd>`
    + `<dt>when</dt><dd>${esc(r.startedAt)} (${clock(durSec)})</dd><dt>tool</dt><dd>${esc(r.tool.name)} ${esc(r.tool.version)}</dd></dl>`
    + (r.stopped ? `<p class="banner bad" data-k="/stopped" data-v="${esc(JSON.stringify(r.stopped))}">Stopped early: ${esc(r.stopped)}</p>` : '')
    + warn;
}

/** The body of a run's section (its heading is the caller's). */
export function runSection(r: RunData, charts: Charts): string {
  const pi = summaryPhaseIndex(r);
  const parts = [header(r)];
  if (pi < 0) {
    parts.push('<p class="note">No phase ran classes: nothing to measure.</p>');
    return parts.join('\n');
  }
  parts.push(keyFigures(r, pi), overTime(r, charts), spectra(r, pi, charts), heatmap(r, pi), dataChecks(r), selfCheck(r));
  return parts.join('\n');
}
