/**
 * CQL data types: the descriptor used by codecs, protocol metadata ([option]) and the CQL
 * parser (`list<frozen<map<int, text>>>`), in one discriminated union.
 */
import { ProtocolViolation, type Reader, type Writer } from './buffer.js';

export type NativeTypeName =
  | 'ascii' | 'bigint' | 'blob' | 'boolean' | 'counter' | 'date' | 'decimal' | 'double'
  | 'duration' | 'float' | 'inet' | 'int' | 'smallint' | 'text' | 'time' | 'timestamp'
  | 'timeuuid' | 'tinyint' | 'uuid' | 'varint';

export type CqlType =
  | { kind: NativeTypeName }
  | { kind: 'list'; element: CqlType; frozen?: boolean }
  | { kind: 'set'; element: CqlType; frozen?: boolean }
  | { kind: 'map'; key: CqlType; value: CqlType; frozen?: boolean }
  | { kind: 'tuple'; elements: CqlType[] }
  | { kind: 'udt'; keyspace: string; name: string; fields: { name: string; type: CqlType }[]; frozen?: boolean }
  | { kind: 'custom'; className: string };

export const NATIVE_TYPES: readonly NativeTypeName[] = [
  'ascii', 'bigint', 'blob', 'boolean', 'counter', 'date', 'decimal', 'double', 'duration',
  'float', 'inet', 'int', 'smallint', 'text', 'time', 'timestamp', 'timeuuid', 'tinyint',
  'uuid', 'varint',
];

/** Protocol [option] ids (native_protocol_v4.spec §4.2.5.2). */
export const TYPE_ID = {
  custom: 0x0000, ascii: 0x0001, bigint: 0x0002, blob: 0x0003, boolean: 0x0004, counter: 0x0005,
  decimal: 0x0006, double: 0x0007, float: 0x0008, int: 0x0009, timestamp: 0x000b, uuid: 0x000c,
  text: 0x000d, varint: 0x000e, timeuuid: 0x000f, inet: 0x0010, date: 0x0011, time: 0x0012,
  smallint: 0x0013, tinyint: 0x0014, duration: 0x0015, list: 0x0020, map: 0x0021, set: 0x0022,
  udt: 0x0030, tuple: 0x0031,
} as const;

const ID_TO_NATIVE = new Map<number, NativeTypeName>(
  (Object.entries(TYPE_ID) as [string, number][])
    .filter(([k]) => (NATIVE_TYPES as readonly string[]).includes(k))
    .map(([k, v]) => [v, k as NativeTypeName]),
);

const DURATION_CLASS = 'org.apache.cassandra.db.marshal.DurationType';

/** Protocol v4 has no duration id: servers send it as a custom type with this class. */
export function readTypeOption(r: Reader, depth = 0): CqlType {
  if (depth > 32) throw new ProtocolViolation('type [option] nested too deeply');
  const id = r.short();
  const native = ID_TO_NATIVE.get(id);
  if (native) return { kind: native };
  switch (id) {
    case TYPE_ID.custom: {
      const className = r.string();
      if (className === DURATION_CLASS) return { kind: 'duration' };
      return { kind: 'custom', className };
    }
    case TYPE_ID.list: return { kind: 'list', element: readTypeOption(r, depth + 1) };
    case TYPE_ID.set: return { kind: 'set', element: readTypeOption(r, depth + 1) };
    case TYPE_ID.map: return { kind: 'map', key: readTypeOption(r, depth + 1), value: readTypeOption(r, depth + 1) };
    case TYPE_ID.udt: {
      const keyspace = r.string();
      const name = r.string();
      const n = r.short();
      const fields: { name: string; type: CqlType }[] = [];
      for (let i = 0; i < n; i++) fields.push({ name: r.string(), type: readTypeOption(r, depth + 1) });
      return { kind: 'udt', keyspace, name, fields };
    }
    case TYPE_ID.tuple: {
      const n = r.short();
      const elements: CqlType[] = [];
      for (let i = 0; i < n; i++) elements.push(readTypeOption(r, depth + 1));
      return { kind: 'tuple', elements };
    }
    default:
      throw new ProtocolViolation(`unknown type id 0x${id.toString(16)}`);
  }
}

export function writeTypeOption(w: Writer, t: CqlType, protocolVersion = 4): void {
  switch (t.kind) {
    case 'duration':
      if (protocolVersion < 5) { w.short(TYPE_ID.custom).string(DURATION_CLASS); return; }
      w.short(TYPE_ID.duration);
      return;
    case 'custom': w.short(TYPE_ID.custom).string(t.className); return;
    case 'list': w.short(TYPE_ID.list); writeTypeOption(w, t.element, protocolVersion); return;
    case 'set': w.short(TYPE_ID.set); writeTypeOption(w, t.element, protocolVersion); return;
    case 'map':
      w.short(TYPE_ID.map);
      writeTypeOption(w, t.key, protocolVersion);
      writeTypeOption(w, t.value, protocolVersion);
      return;
    case 'udt':
      w.short(TYPE_ID.udt).string(t.keyspace).string(t.name).short(t.fields.length);
      for (const f of t.fields) { w.string(f.name); writeTypeOption(w, f.type, protocolVersion); }
      return;
    case 'tuple':
      w.short(TYPE_ID.tuple).short(t.elements.length);
      for (const e of t.elements) writeTypeOption(w, e, protocolVersion);
      return;
    default:
      w.short(TYPE_ID[t.kind]);
  }
}

/** CQL text form, as system_schema.columns.type shows it (`frozen<list<int>>`). */
export function typeToCql(t: CqlType): string {
  switch (t.kind) {
    case 'list': return wrapFrozen(t.frozen, `list<${typeToCql(t.element)}>`);
    case 'set': return wrapFrozen(t.frozen, `set<${typeToCql(t.element)}>`);
    case 'map': return wrapFrozen(t.frozen, `map<${typeToCql(t.key)}, ${typeToCql(t.value)}>`);
    case 'tuple': return `frozen<tuple<${t.elements.map(typeToCql).join(', ')}>>`;
    case 'udt': return wrapFrozen(t.frozen, t.name);
    case 'custom': return `'${t.className}'`;
    default: return t.kind;
  }
}

function wrapFrozen(frozen: boolean | undefined, s: string): string {
  return frozen ? `frozen<${s}>` : s;
}

export function typeEquals(a: CqlType, b: CqlType): boolean {
  return typeToCql({ ...a, frozen: false } as CqlType) === typeToCql({ ...b, frozen: false } as CqlType);
}

/** Aliases accepted by CQL for native types. */
export const TYPE_ALIASES: Record<string, NativeTypeName> = { varchar: 'text' };
