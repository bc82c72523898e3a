/**
 * Byte-level readers and writers for the CQL native protocol notation
 * ([int], [short], [string], [long string], [bytes], [short bytes], [string map], ...).
 *
 * The Reader never allocates on the strength of a length field: every length is checked
 * against the bytes actually present before anything is sliced, so a corrupt frame that
 * claims 2 GiB fails fast with a ProtocolViolation instead of allocating.
 */

/** A frame body or value that does not follow the protocol. Thrown by decoders, caught per frame. */
export class ProtocolViolation extends Error {
  override name = 'ProtocolViolation';
}

export class Reader {
  pos: number;
  readonly end: number;
  constructor(readonly buf: Buffer, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new ProtocolViolation(`truncated ${what}: need ${n} bytes at offset ${this.pos}, have ${this.end - this.pos}`);
    }
  }

  byte(): number {
    this.need(1, 'byte');
    return this.buf[this.pos++];
  }

  short(): number {
    this.need(2, 'short');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int(): number {
    this.need(4, 'int');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  long(): bigint {
    this.need(8, 'long');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  string(): string {
    const n = this.short();
    this.need(n, 'string');
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  longString(): string {
    const n = this.int();
    if (n < 0) throw new ProtocolViolation(`negative [long string] length ${n}`);
    this.need(n, 'long string');
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** [bytes]: null for a negative length (-1 null; -2 "unset" is only legal in requests). */
  bytes(): Buffer | null {
    const n = this.int();
    if (n < 0) return null;
    this.need(n, 'bytes');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** [value] in a request: like [bytes] but distinguishes unset (-2). */
  value(): Buffer | null | typeof UNSET_MARK {
    const n = this.int();
    if (n === -1) return null;
    if (n === -2) return UNSET_MARK;
    if (n < 0) throw new ProtocolViolation(`invalid [value] length ${n}`);
    this.need(n, 'value');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  shortBytes(): Buffer {
    const n = this.short();
    this.need(n, 'short bytes');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Raw slice of n bytes. */
  raw(n: number): Buffer {
    this.need(n, 'raw bytes');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  stringList(): string[] {
    const n = this.short();
    // each string needs at least 2 bytes: reject impossible counts before looping
    this.need(n * 2, 'string list');
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.string();
    return out;
  }

  stringMap(): Map<string, string> {
    const n = this.short();
    this.need(n * 4, 'string map');
    const m = new Map<string, string>();
    for (let i = 0; i < n; i++) m.set(this.string(), this.string());
    return m;
  }

  stringMultimap(): Map<string, string[]> {
    const n = this.short();
    this.need(n * 4, 'string multimap');
    const m = new Map<string, string[]>();
    for (let i = 0; i < n; i++) m.set(this.string(), this.stringList());
    return m;
  }

  bytesMap(): Map<string, Buffer | null> {
    const n = this.short();
    this.need(n * 6, 'bytes map');
    const m = new Map<string, Buffer | null>();
    for (let i = 0; i < n; i++) m.set(this.string(), this.bytes());
    return m;
  }

  /** [inet]: <size byte><address><port int> */
  inet(): { address: string; port: number } {
    const size = this.byte();
    if (size !== 4 && size !== 16) throw new ProtocolViolation(`invalid [inet] address size ${size}`);
    const addr = formatInet(this.raw(size));
    return { address: addr, port: this.int() };
  }

  /** [inetaddr]: <size byte><address> */
  inetAddr(): string {
    const size = this.byte();
    if (size !== 4 && size !== 16) throw new ProtocolViolation(`invalid [inetaddr] size ${size}`);
    return formatInet(this.raw(size));
  }

  uuid(): string {
    return formatUuid(this.raw(16), 0);
  }
}

/** Marker for a request [value] of length -2 ("unset"). */
export const UNSET_MARK: unique symbol = Symbol('unset');

/**
 * A growable output buffer. Reused across frames on the hot path (reset(), then copy out
 * or hand over the slice), so steady-state encoding does not allocate a buffer per request.
 */
export class Writer {
  buf: Buffer;
  pos = 0;
  constructor(initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  ensure(n: number): void {
    const needBytes = this.pos + n;
    if (needBytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needBytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  short(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  int(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }

  long(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 0xffff) throw new RangeError(`[string] longer than 65535 bytes (${n})`);
    this.ensure(2 + n);
    this.buf.writeUInt16BE(n, this.pos);
    this.buf.write(s, this.pos + 2, n, 'utf8');
    this.pos += 2 + n;
    return this;
  }

  longString(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(4 + n);
    this.buf.writeInt32BE(n, this.pos);
    this.buf.write(s, this.pos + 4, n, 'utf8');
    this.pos += 4 + n;
    return this;
  }

  bytes(b: Uint8Array | null): this {
    if (b === null) return this.int(-1);
    this.int(b.length);
    return this.raw(b);
  }

  shortBytes(b: Uint8Array): this {
    this.short(b.length);
    return this.raw(b);
  }

  stringList(list: readonly string[]): this {
    this.short(list.length);
    for (const s of list) this.string(s);
    return this;
  }

  stringMap(m: ReadonlyMap<string, string> | Record<string, string>): this {
    const entries = m instanceof Map ? [...m.entries()] : Object.entries(m);
    this.short(entries.length);
    for (const [k, v] of entries) this.string(k).string(v);
    return this;
  }

  stringMultimap(m: ReadonlyMap<string, readonly string[]>): this {
    this.short(m.size);
    for (const [k, v] of m) this.string(k).stringList(v);
    return this;
  }

  bytesMap(m: ReadonlyMap<string, Uint8Array | null>): this {
    this.short(m.size);
    for (const [k, v] of m) this.string(k).bytes(v);
    return this;
  }

  inet(address: string, port: number): this {
    const b = parseInet(address);
    this.byte(b.length).raw(b);
    return this.int(port);
  }

  inetAddr(address: string): this {
    const b = parseInet(address);
    return this.byte(b.length).raw(b);
  }

  /** A copy of the written bytes (safe to keep after reset()). */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatUuid(b: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[off + i]];
  }
  return s;
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function parseUuid(s: string): Buffer {
  if (!UUID_RE.test(s)) throw new TypeError(`not a UUID: ${JSON.stringify(s)}`);
  return Buffer.from(s.replace(/-/g, ''), 'hex');
}

export function formatInet(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  // RFC 5952: compress the longest run (length >= 2) of zero groups
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function parseInet(s: string): Buffer {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) throw new TypeError(`not an IPv4 address: ${s}`);
    return Buffer.from(parts);
  }
  if (!s.includes(':')) throw new TypeError(`not an IP address: ${JSON.stringify(s)}`);
  let head = s;
  let tail = '';
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    head = s.slice(0, dbl);
    tail = s.slice(dbl + 2);
  }
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = dbl >= 0 ? 8 - h.length - t.length : 0;
  const all = [...h, ...Array(fill).fill('0'), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw new TypeError(`not an IPv6 address: ${s}`);
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
