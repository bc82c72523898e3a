/**
 * What the worker records, end to end on the emulator: in a closed loop an op is sent at its
 * intended start, so its response time is its service time and the worker records it once — the
 * two histograms a run ships must then be the same, interval by interval; in an open loop the
 * response counts from the intended start and must differ (by the schedule lag).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/metrics/histogram.js';
import type { RunResult } from '../../src/results/result.js';
import { runCli } from '../support/cli.js';
import { simHost } from '../support/sim-host.js';

const OUT = 'results/test-metrics';

async function run(profile: string): Promise<{ result: RunResult; hlog: Map<string, string[]> }> {
  const r = await runCli(['run', `test/fixtures/engine/${profile}`, '--target', `sim:${simHost()}`, '--json', '--out', OUT]);
  expect(r.code, r.stderr).toBe(0);
  const dir = JSON.parse(r.stdout).resultDir as string;
  const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as RunResult;
  // .hlog interval lines: Tag=<phase>.<op>.<kind>,start,length,max,histogram
  const hlog = new Map<string, string[]>();
  for (const line of readFileSync(path.join(dir, 'app.hlog'), 'utf8').split('\n')) {
    const m = /^Tag=([^,]+),([^,]+),[^,]+,[^,]+,(\S+)$/.exec(line);
    if (m) hlog.set(m[1], [...(hlog.get(m[1]) ?? []), `${m[2]} ${m[3]}`]);
  }
  return { result, hlog };
}

describe('service and response histograms from a run', () => {
  it('closed loop: the same histogram, interval by interval; open loop: the response adds the schedule lag', async () => {
    const closed = await run('truth-closed.yaml');
    const cget = closed.result.phases.find((p) => p.kind === 'measure')!.classes.app.ops.get;
    expect(cget.count).toBeGreaterThan(100);
    expect(cget.response.histogram).toBe(cget.service.histogram);
    expect(cget.response).toEqual(cget.service);
    const cs = closed.hlog.get('measure.get.service')!;
    expect(cs.length).toBeGreaterThanOrEqual(4);
    expect(closed.hlog.get('measure.get.response')).toEqual(cs);

    const open = await run('truth-open.yaml');
    const oget = open.result.phases.find((p) => p.kind === 'measure')!.classes.app.ops.get;
    expect(oget.count).toBeGreaterThan(500);
    const service = decode(oget.service.histogram);
    const response = decode(oget.response.histogram);
    expect(response.totalCount).toBe(service.totalCount);
    expect(oget.response.histogram).not.toBe(oget.service.histogram);
    // every op's response time is its service time plus how late it left
    expect(response.mean).toBeGreaterThan(service.mean);
    expect(response.maxValue).toBeGreaterThanOrEqual(service.maxValue);
    expect(open.hlog.get('measure.get.response')).not.toEqual(open.hlog.get('measure.get.service'));
  });
});
