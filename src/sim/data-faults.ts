/**
 * Data faults: the emulator serving wrong data, for testing what checks the data (run --validate).
 *   corrupt     a fraction of reads get one served cell flipped (the stored copy stays intact),
 *               optionally only of one table or one column;
 *   loseWrites  a fraction of writes at CL ONE / LOCAL_ONE / ANY are acknowledged by the replica
 *               that answers first (the coordinator's own when it is one), which does not store
 *               them; the other replicas do. With RF = 1 the write is gone.
 * Set through Faults (startSim options, `sim --corrupt/--lose-writes`, PUT /admin/faults).
 */
import type { ColumnSpec } from '../cql/messages.js';

export interface CorruptSpec {
  /** fraction of reads (of the table, when named) whose reply gets a cell flipped, 0..1 */
  rate: number;
  /** only this table: `ks.table` or `table` */
  table?: string;
  /** only this column (a regular or static one); default: the first non-key cell of the row that has a value */
  column?: string;
}

export interface LoseWritesSpec {
  /** fraction of writes at a one-replica consistency level that the acknowledging replica drops, 0..1 */
  rate: number;
}

/** Consistency levels a single replica acknowledges: ANY, ONE, LOCAL_ONE. */
const ONE_REPLICA = new Set([0x0000, 0x0001, 0x000a]);

export interface DataFaultCounts {
  /** replies with a flipped cell */
  corruptedReads: number;
  /** writes a replica acknowledged and dropped */
  lostWrites: number;
}

export class DataFaults {
  readonly counts: DataFaultCounts = { corruptedReads: 0, lostWrites: 0 };

  constructor(
    readonly corrupt: CorruptSpec | undefined,
    readonly loseWrites: LoseWritesSpec | undefined,
    private readonly random: () => number,
  ) {}

  /** Is this write (at consistency `cl`) one the acknowledging replica drops? */
  losesWrite(cl: number): boolean {
    if (!this.loseWrites || !ONE_REPLICA.has(cl) || this.random() >= this.loseWrites.rate) return false;
    this.counts.lostWrites++;
    return true;
  }

  /**
   * Flips one cell per row of a read's reply (copies: stored values are never touched).
   * `columns` says which result columns may be flipped (regular and static ones), by name.
   */
  corruptRows(keyspace: string, table: string, names: ColumnSpec[], flippable: boolean[], rows: (Buffer | null)[][]): void {
    const c = this.corrupt;
    if (!c || rows.length === 0) return;
    if (c.table !== undefined && c.table !== table && c.table !== `${keyspace}.${table}`) return;
    if (this.random() >= c.rate) return;
    let any = false;
    for (const row of rows) {
      for (let i = 0; i < row.length; i++) {
        if (!flippable[i] || (c.column !== undefined && names[i].name !== c.column)) continue;
        const v = row[i];
        if (v === null || v.length === 0) continue;
        const flipped = Buffer.from(v);
        flipped[flipped.length - 1] ^= 0x01;
        row[i] = flipped;
        any = true;
        break;
      }
    }
    if (any) this.counts.corruptedReads++;
  }
}

export function checkDataFaults(corrupt: CorruptSpec | undefined, lose: LoseWritesSpec | undefined): void {
  if (corrupt && !(corrupt.rate >= 0 && corrupt.rate <= 1)) throw new RangeError(`corrupt: rate must be within 0..1, got ${corrupt.rate}`);
  if (corrupt?.table !== undefined && typeof corrupt.table !== 'string') throw new RangeError('corrupt: table must be a name');
  if (corrupt?.column !== undefined && typeof corrupt.column !== 'string') throw new RangeError('corrupt: column must be a name');
  if (lose && !(lose.rate >= 0 && lose.rate <= 1)) throw new RangeError(`loseWrites: rate must be within 0..1, got ${lose.rate}`);
}
