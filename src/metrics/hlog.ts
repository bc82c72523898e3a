/**
 * HdrHistogram interval log (.hlog) writer, format version 1.3 as HdrHistogram's own
 * HistogramLogWriter emits it, so HistogramLogProcessor and friends read our files:
 *
 *   #[Histogram log format version 1.3]
 *   #[StartTime: 1700000000.000 (seconds since epoch), ...]
 *   #[BaseTime: 1700000000.000 (seconds since epoch)]
 *   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *   Tag=read.response,0.000,1.000,4.123,HISTFAAAA...
 *
 * Values are recorded in µs; Interval_Max is printed in ms (max / 1000), as HdrHistogram does
 * with its default maxValueUnitRatio for µs-recorded latencies.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { encode, type Histogram } from './histogram.js';

const f3 = (x: number): string => x.toFixed(3);

export class HlogWriter {
  constructor(readonly path: string, readonly startTimeMs: number, comment?: string) {
    const lines = [
      '#[Histogram log format version 1.3]',
      `#[StartTime: ${f3(startTimeMs / 1000)} (seconds since epoch), ${new Date(startTimeMs).toUTCString()}]`,
      // interval timestamps are relative to BaseTime, which readers add back
      `#[BaseTime: ${f3(startTimeMs / 1000)} (seconds since epoch)]`,
    ];
    if (comment) lines.splice(1, 0, `#${comment.replace(/\n/g, ' ')}`);
    lines.push('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');
    writeFileSync(path, `${lines.join('\n')}\n`);
  }

  /** Appends one interval; start and end are absolute ms since the epoch. Tags may not contain ',' or ' '. */
  interval(tag: string, startMs: number, endMs: number, h: Histogram): void {
    if (h.totalCount === 0) return;
    const rel = (startMs - this.startTimeMs) / 1000;
    const line = `Tag=${tag},${f3(rel)},${f3((endMs - startMs) / 1000)},${f3(h.maxValue / 1000)},${encode(h)}\n`;
    appendFileSync(this.path, line);
  }
}
