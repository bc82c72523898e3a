/**
 * One CQL native-protocol connection: handshake (OPTIONS → STARTUP → optional SASL PLAIN),
 * a stream-id pool with bounded in-flight and a FIFO of waiting requests (backpressure),
 * write coalescing (frames are encoded straight into one outbox and flushed once per
 * event-loop turn), client-side timeouts whose late replies are dropped, TLS, an optional
 * local port (the shard-aware pool needs it), protocol downgrade, and re-PREPARE on Unprepared.
 *
 * The hot path is callback-based (`send`), with promise wrappers for everything else.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { ProtocolViolation, Reader, UNSET_MARK, Writer } from './buffer.js';
import { codecFor, UNSET, type Codec } from './codecs.js';
import { Consistency } from './consistency.js';
import {
  AuthenticationError, ClientProtocolError, ClientTimeoutError, ConnectError, type ConnectFailure, ConnectionLostError, CqlError, ErrorCode,
  ResponseError, SocketConnectError, StreamExhaustedError, UnpreparedError, decodeError,
} from './errors.js';

export { AuthenticationError, SocketConnectError } from './errors.js';
import { FrameFlag, FrameParser, HEADER_BYTES, MAX_FRAME_BYTES, MAX_STREAMS, Opcode, type BodyCodec, type Frame } from './frame.js';
import { lz4BodyCodec } from './lz4.js';
import {
  readEvent, readResponseExtras, readResult, writeAuthResponse, writeBatch, writeExecute,
  writePrepare, writeQuery, writeRegister, writeStartup, BatchType,
  type ColumnSpec, type QueryParameters, type RawValue, type ResponseExtras, type Result, type ServerEvent,
} from './messages.js';
import type { CqlType } from './types.js';

export interface TlsOptions {
  /** CA bundle (PEM) as a path or contents. */
  ca?: string | Buffer;
  /** Client certificate and key (PEM) as paths or contents. */
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  /** Default true: verify the server certificate. */
  rejectUnauthorized?: boolean;
}

export interface Credentials {
  username: string;
  /** Never logged, never written to results. */
  password: string;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  localAddress?: string;
  /** Bind this source port (shard-aware port: source port mod shards selects the shard). */
  localPort?: number;
  tls?: TlsOptions;
  credentials?: Credentials;
  /** Highest protocol version to try; lowered automatically if the server refuses it. Default 4. */
  protocolVersion?: 3 | 4;
  connectTimeoutMs?: number;
  /** Client-side per-request timeout; a reply arriving later is dropped. Default 12000. */
  requestTimeoutMs?: number;
  /** Requests on the wire at once (≤ 32768); further requests wait in a queue. Default 1024. */
  maxInFlight?: number;
  /** Requests allowed to wait for a stream id before new ones fail fast. Default 65536. */
  maxQueued?: number;
  compression?: 'lz4' | 'none';
  keyspace?: string;
  /** Negotiate Scylla protocol extensions the server offers (rate-limit error, LWT mark, tablets). Default true. */
  scyllaExtensions?: boolean;
  maxFrameBytes?: number;
  onEvent?: (e: ServerEvent) => void;
  /**
   * Called once when the connection closes for any reason after it was established, before its
   * pending requests are failed (so a pool drops it before their callbacks route again).
   */
  onClose?: (reason: string) => void;
  /** Aborts a connect in progress (a pool closing while it reconnects). */
  signal?: AbortSignal;
}

/** Sharding facts from SUPPORTED (absent on servers that are not Scylla). */
export interface ShardingInfo {
  shard: number;
  nrShards: number;
  ignoreMsb: number;
  partitioner: string;
  algorithm: string;
  shardAwarePort?: number;
  shardAwarePortSsl?: number;
}

export interface PreparedStatement {
  readonly cql: string;
  readonly keyspace: string | undefined;
  id: Buffer;
  readonly bindColumns: ColumnSpec[];
  readonly pkIndexes: number[];
  readonly resultColumns: ColumnSpec[];
  readonly bindCodecs: Codec[];
  /** Scylla's LWT bit from the prepared metadata flags (when the extension was negotiated). */
  readonly isLwt: boolean;
}

export interface QueryOptions {
  consistency?: Consistency;
  serialConsistency?: Consistency;
  pageSize?: number;
  pagingState?: Buffer | null;
  timestampUs?: bigint;
  timeoutMs?: number;
  skipMetadata?: boolean;
  tracing?: boolean;
  /** Types for QUERY values; without them values are inferred (see inferType). */
  types?: CqlType[];
}

export interface Response {
  result: Result;
  extras?: ResponseExtras;
}

export type ResponseCallback = (err: CqlError | null, frame: Frame | null) => void;

const DEFAULTS = {
  connectTimeoutMs: 5000,
  requestTimeoutMs: 12000,
  maxInFlight: 1024,
  maxQueued: 65536,
};

interface Slot {
  cb: ResponseCallback | null;
  deadline: number;
  timeoutMs: number;
  /** true after a client-side timeout: the id stays reserved until the late reply arrives. */
  orphaned: boolean;
  /** executeFast: what to re-send after re-preparing on Unprepared (no wrapper closure per request). */
  stmt: PreparedStatement | null;
  values: unknown[] | null;
  opts: QueryOptions | null;
  retried: boolean;
}

interface Waiting {
  opcode: number;
  flags: number;
  encode: (w: Writer) => void;
  cb: ResponseCallback;
  timeoutMs: number;
}

/** SASL PLAIN initial response: authzid NUL authcid NUL password. */
function plainToken(c: Credentials): Buffer {
  return Buffer.concat([Buffer.from([0]), Buffer.from(c.username, 'utf8'), Buffer.from([0]), Buffer.from(c.password, 'utf8')]);
}

function pemOf(v: string | Buffer | undefined): string | Buffer | undefined {
  if (v === undefined || Buffer.isBuffer(v)) return v;
  return v.includes('-----BEGIN') ? v : readFileSync(v);
}

function describeSocketError(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'EHOSTUNREACH': return 'host unreachable';
    case 'ENETUNREACH': return 'network unreachable';
    case 'ECONNRESET': return 'connection reset by peer';
    case 'EADDRINUSE': return 'local address/port already in use';
    case 'EADDRNOTAVAIL': return 'local address not available';
    case 'ENOTFOUND': return 'host name not found';
    case 'EPIPE': return 'broken pipe';
    default: return e.code ? `${e.code}: ${e.message}` : e.message;
  }
}

export class Connection {
  readonly endpoint: string;
  readonly options: ConnectionOptions;
  supported = new Map<string, string[]>();
  protocolVersion: number;
  sharding: ShardingInfo | undefined;
  /** Extension keys negotiated in STARTUP. */
  readonly extensions = new Set<string>();
  rateLimitErrorCode: number | undefined;
  lwtMask = 0;
  keyspace: string | undefined;
  /** The server's authenticator class when it asked us to log in (undefined: it let us in). */
  authenticator: string | undefined;
  closed = false;
  closeReason = '';

  private socket!: net.Socket;
  private readonly parser: FrameParser;
  private compressor: BodyCodec | undefined;
  private readonly slots: Slot[];
  private readonly freeIds: number[] = [];
  private readonly waiting: Waiting[] = [];
  private waitingHead = 0;
  private inFlightCount = 0;
  private readonly outbox = new Writer(64 * 1024);
  private flushScheduled = false;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly requestTimeoutMs: number;
  /** Cache of prepared statements on this connection, by cql (re-PREPARE on Unprepared). */
  private readonly preparedByCql = new Map<string, PreparedStatement>();

  private constructor(options: ConnectionOptions, version: number) {
    this.options = options;
    this.endpoint = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    this.protocolVersion = version;
    this.parser = new FrameParser(options.maxFrameBytes ?? MAX_FRAME_BYTES);
    this.maxInFlight = Math.min(options.maxInFlight ?? DEFAULTS.maxInFlight, MAX_STREAMS);
    this.maxQueued = options.maxQueued ?? DEFAULTS.maxQueued;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    this.slots = new Array(this.maxInFlight);
    for (let i = this.maxInFlight - 1; i >= 0; i--) {
      this.freeIds.push(i);
      this.slots[i] = { cb: null, deadline: 0, timeoutMs: 0, orphaned: false, stmt: null, values: null, opts: null, retried: false };
    }
  }

  /**
   * Opens, handshakes and authenticates. Starts at protocolVersion (default 4) and steps down
   * to 3 when the server answers the first frame with a protocol-version error.
   */
  static async connect(options: ConnectionOptions): Promise<Connection> {
    let version = options.protocolVersion ?? 4;
    for (;;) {
      const c = new Connection(options, version);
      // an abort during the handshake fails its pending request as a lost connection
      const onAbort = (): void => c.destroy('connect aborted');
      try {
        await c.open();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          if (options.signal?.aborted) throw new ConnectError(c.endpoint, 'connect aborted');
          await c.handshake();
        } catch (e) {
          // a port that accepts TCP but never speaks CQL: say so, naming the endpoint
          if (e instanceof ClientTimeoutError) throw new ConnectError(c.endpoint, `no CQL handshake answer within ${e.timeoutMs} ms (connect timeout; is this a CQL port?)`, 'no-cql-answer');
          if (e instanceof ConnectionLostError) throw new ConnectError(c.endpoint, `closed during the CQL handshake (${c.closeReason})`, 'closed-in-handshake');
          throw e;
        }
        return c;
      } catch (e) {
        c.destroy(e instanceof Error ? e.message : String(e));
        if (e instanceof VersionRefused && version > 3) {
          version--;
          continue;
        }
        throw e;
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  get localPort(): number | undefined {
    return this.socket?.localPort;
  }

  /** Requests on the wire plus those queued for a stream id. */
  get inFlight(): number {
    return this.inFlightCount + (this.waiting.length - this.waitingHead);
  }

  private open(): Promise<void> {
    const o = this.options;
    const timeoutMs = o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (cause: string, code?: string, failure?: ConnectFailure): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        reject(new SocketConnectError(this.endpoint, cause, code, failure));
      };
      const onAbort = (): void => {
        fail('connect aborted', undefined, 'other');
        sock.destroy();
      };
      const raw = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress, localPort: o.localPort });
      let sock: net.Socket = raw;
      if (o.tls) {
        const t = o.tls;
        sock = tls.connect({
          socket: raw,
          ca: pemOf(t.ca),
          cert: pemOf(t.cert),
          key: pemOf(t.key),
          servername: t.servername ?? (net.isIP(o.host) ? undefined : o.host),
          rejectUnauthorized: t.rejectUnauthorized ?? true,
        });
      }
      const timer = setTimeout(() => {
        fail(`no answer within ${timeoutMs} ms (connect timeout)`, undefined, 'timeout');
        sock.destroy();
      }, timeoutMs);
      if (o.signal?.aborted) { onAbort(); return; }
      o.signal?.addEventListener('abort', onAbort, { once: true });
      let tcpUp = false;
      raw.once('connect', () => { tcpUp = true; });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        // once TCP is up, a failure before secureConnect is the TLS handshake's
        const tlsFailure = o.tls && tcpUp;
        if (tlsFailure) fail(`TLS handshake failed: ${e.code ? `${e.code}: ` : ''}${e.message}`, e.code, 'tls');
        else fail(describeSocketError(e), e.code);
      });
      sock.once(o.tls ? 'secureConnect' : 'connect', () => {
        if (settled) { sock.destroy(); return; }
        settled = true;
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        sock.setNoDelay(true);
        this.socket = sock;
        sock.removeAllListeners('error');
        sock.on('error', (e: NodeJS.ErrnoException) => this.destroy(describeSocketError(e)));
        sock.on('close', () => this.destroy('closed by peer'));
        sock.on('data', (chunk: Buffer) => this.onData(chunk));
        resolve();
      });
    });
  }

  private async handshake(): Promise<void> {
    const o = this.options;
    const supported = await this.requestPromise(Opcode.OPTIONS, () => {}, this.handshakeTimeout());
    if (supported.opcode !== Opcode.SUPPORTED) throw new ClientProtocolError(`${this.endpoint}: expected SUPPORTED, got opcode ${supported.opcode}`);
    this.supported = new Reader(supported.body).stringMultimap();
    this.sharding = parseSharding(this.supported);

    const startup: Record<string, string> = { CQL_VERSION: '3.0.0', DRIVER_NAME: 'scylla-bench', DRIVER_VERSION: '0.1.0' };
    const offeredCompression = this.supported.get('COMPRESSION') ?? [];
    if (o.compression === 'lz4' && offeredCompression.includes('lz4')) startup.COMPRESSION = 'lz4';
    if (o.scyllaExtensions ?? true) {
      const rl = this.supported.get('SCYLLA_RATE_LIMIT_ERROR');
      if (rl) {
        startup.SCYLLA_RATE_LIMIT_ERROR = '';
        const m = /ERROR_CODE=(\d+)/.exec(rl[0] ?? '');
        this.rateLimitErrorCode = m ? Number(m[1]) : undefined;
      }
      const lwt = this.supported.get('SCYLLA_LWT_ADD_METADATA_MARK');
      if (lwt) {
        startup.SCYLLA_LWT_ADD_METADATA_MARK = lwt[0] ?? '';
        const m = /LWT_OPTIMIZATION_META_BIT_MASK=(\d+)/.exec(lwt[0] ?? '');
        this.lwtMask = m ? Number(m[1]) : 0;
      }
      if (this.supported.has('TABLETS_ROUTING_V1')) startup.TABLETS_ROUTING_V1 = '';
    }
    for (const k of Object.keys(startup)) if (k.startsWith('SCYLLA_') || k.startsWith('TABLETS_')) this.extensions.add(k);

    // Cassandra already compresses its answer to STARTUP; the parser only inflates frames that
    // carry the compression flag, so arming it before sending is safe either way.
    if (startup.COMPRESSION === 'lz4') this.parser.compressor = lz4BodyCodec;
    const ready = await this.requestPromise(Opcode.STARTUP, (w) => writeStartup(w, startup), this.handshakeTimeout());
    if (startup.COMPRESSION === 'lz4') this.compressor = lz4BodyCodec;
    if (ready.opcode === Opcode.AUTHENTICATE) {
      this.authenticator = new Reader(ready.body).string();
      await this.authenticate(this.authenticator);
    }
    else if (ready.opcode !== Opcode.READY) throw new ClientProtocolError(`${this.endpoint}: expected READY, got opcode ${ready.opcode}`);

    if (o.keyspace) await this.query(`USE "${o.keyspace.replace(/"/g, '""')}"`);
  }

  private handshakeTimeout(): number {
    return this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
  }

  private async authenticate(authenticatorClass: string): Promise<void> {
    const creds = this.options.credentials;
    if (!creds) throw new AuthenticationError(this.endpoint, `server requires authentication (${authenticatorClass}) but no credentials were given`);
    let token: Buffer | null = plainToken(creds);
    for (let round = 0; round < 10; round++) {
      let f: Frame;
      try {
        f = await this.requestPromise(Opcode.AUTH_RESPONSE, (w) => writeAuthResponse(w, token), this.handshakeTimeout());
      } catch (e) {
        if (e instanceof ResponseError && e.code === ErrorCode.BAD_CREDENTIALS) {
          throw new AuthenticationError(this.endpoint, `authentication failed for user '${creds.username}': ${e.message}`);
        }
        throw e;
      }
      if (f.opcode === Opcode.AUTH_SUCCESS) return;
      if (f.opcode !== Opcode.AUTH_CHALLENGE) throw new ClientProtocolError(`${this.endpoint}: unexpected opcode ${f.opcode} during authentication`);
      // PLAIN has a single round; answer further challenges with the same token as drivers do.
      token = plainToken(creds);
    }
    throw new AuthenticationError(this.endpoint, 'authentication did not complete after 10 rounds');
  }

  // ---------------------------------------------------------------------------------------
  // Sending

  /**
   * Sends one request; `encode` writes the body into the outbox. The callback gets the reply
   * frame (any opcode but ERROR) or a typed error. Never throws.
   */
  send(opcode: number, encode: (w: Writer) => void, cb: ResponseCallback, timeoutMs = this.requestTimeoutMs, flags = 0): void {
    if (this.closed) {
      cb(new ConnectionLostError(this.endpoint, this.closeReason || 'closed'), null);
      return;
    }
    const id = this.freeIds.pop();
    if (id === undefined) {
      if (this.waiting.length - this.waitingHead >= this.maxQueued) {
        cb(new StreamExhaustedError(`${this.endpoint}: ${this.maxInFlight} requests in flight and ${this.maxQueued} queued`), null);
        return;
      }
      this.waiting.push({ opcode, flags, encode, cb, timeoutMs });
      return;
    }
    this.dispatch(id, opcode, flags, encode, cb, timeoutMs);
  }

  /** Encodes into the outbox and registers the slot; false when encoding failed (cb already called). */
  private dispatch(id: number, opcode: number, flags: number, encode: (w: Writer) => void, cb: ResponseCallback, timeoutMs: number): boolean {
    const w = this.outbox;
    const start = w.pos;
    try {
      if (this.compressor && opcode !== Opcode.STARTUP && opcode !== Opcode.OPTIONS) {
        const body = new Writer(256);
        encode(body);
        const compressed = this.compressor.compress(body.buf.subarray(0, body.pos));
        w.ensure(HEADER_BYTES + compressed.length);
        w.pos += HEADER_BYTES;
        w.raw(compressed);
        flags |= FrameFlag.COMPRESSION;
      } else {
        w.ensure(HEADER_BYTES);
        w.pos += HEADER_BYTES;
        encode(w);
      }
    } catch (e) {
      // a value that does not fit its type: undo the partial frame, free the id, report
      w.pos = start;
      this.freeIds.push(id);
      cb(e instanceof CqlError ? e : new ValueEncodeError(e instanceof Error ? e.message : String(e)), null);
      return false;
    }
    const bodyBytes = w.pos - start - HEADER_BYTES;
    const b = w.buf;
    b[start] = this.protocolVersion;
    b[start + 1] = flags;
    b.writeInt16BE(id, start + 2);
    b[start + 4] = opcode;
    b.writeInt32BE(bodyBytes, start + 5);
    const slot = this.slots[id];
    slot.cb = cb;
    slot.timeoutMs = timeoutMs;
    slot.deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
    slot.orphaned = false;
    this.inFlightCount++;
    if (timeoutMs > 0 && !this.timeoutTimer) this.startTimeoutTimer();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
    return true;
  }

  /** One socket write per event-loop turn, however many frames were queued. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.closed || this.outbox.pos === 0) return;
    const out = this.outbox;
    const full = out.buf;
    const data = full.subarray(0, out.pos);
    // The socket holds `data` until it is written: swap in a spare buffer now and take this one
    // back when the write completes, so the steady state allocates no outbox buffers at all.
    out.buf = this.spareBuffers.pop() ?? Buffer.allocUnsafe(full.length);
    out.pos = 0;
    this.socket.write(data, () => {
      if (this.spareBuffers.length < 4 && full.length <= 1024 * 1024) this.spareBuffers.push(full);
    });
  };

  /** Outbox buffers whose writes completed, ready for reuse. */
  private readonly spareBuffers: Buffer[] = [];

  private requestPromise(opcode: number, encode: (w: Writer) => void, timeoutMs = this.requestTimeoutMs, flags = 0): Promise<Frame> {
    return new Promise((resolve, reject) => {
      this.send(opcode, encode, (err, frame) => (err ? reject(err) : resolve(frame!)), timeoutMs, flags);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Receiving

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (e) {
      this.destroy(`protocol violation from server: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(f: Frame): void {
    if (f.stream < 0) {
      if (f.opcode === Opcode.EVENT && this.options.onEvent) {
        try {
          this.options.onEvent(readEvent(f.body));
        } catch { /* a malformed event must not take the connection down */ }
      }
      return;
    }
    const slot = this.slots[f.stream];
    if (!slot || (!slot.cb && !slot.orphaned)) return; // unknown stream: ignore
    const cb = slot.cb;
    const wasOrphan = slot.orphaned;
    const stmt = slot.stmt;
    const values = slot.values;
    const opts = slot.opts;
    const retried = slot.retried;
    slot.cb = null;
    slot.orphaned = false;
    slot.stmt = null;
    slot.values = null;
    slot.opts = null;
    this.release(f.stream);
    if (wasOrphan || !cb) return; // the late reply of a request that already timed out

    if (f.opcode === Opcode.ERROR) {
      let err: CqlError;
      try {
        const r = new Reader(f.body);
        readResponseExtras(r, f.flags);
        err = decodeError(f.body.subarray(r.pos), this.rateLimitErrorCode);
        if (err instanceof ResponseError && err.code === ErrorCode.PROTOCOL_ERROR && /version/i.test(err.message) && this.supported.size === 0) {
          err = new VersionRefused(err.message);
        }
      } catch (e) {
        err = new ClientProtocolError(`${this.endpoint}: undecodable ERROR frame: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (err instanceof UnpreparedError && stmt && !retried) {
        // the server forgot the statement: prepare it again on this connection and retry once
        this.reprepare(stmt).then(
          () => this.executeFastInternal(stmt, values!, opts!, cb, true),
          (e: unknown) => cb(e instanceof CqlError ? e : new ValueEncodeError(String(e)), null),
        );
        return;
      }
      cb(err, null);
      return;
    }
    cb(null, f);
  }

  private release(id: number): void {
    this.inFlightCount--;
    if (this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead];
      this.waiting[this.waitingHead++] = undefined as unknown as Waiting;
      if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
        this.waiting.splice(0, this.waitingHead);
        this.waitingHead = 0;
      }
      this.dispatch(id, next.opcode, next.flags, next.encode, next.cb, next.timeoutMs);
      return;
    }
    this.freeIds.push(id);
  }

  private startTimeoutTimer(): void {
    const tickMs = Math.max(5, Math.min(100, Math.floor(this.requestTimeoutMs / 20)));
    this.timeoutTimer = setInterval(() => this.expire(), tickMs);
    this.timeoutTimer.unref();
  }

  /** Fails requests past their deadline; their ids stay reserved until the server answers. */
  private expire(): void {
    const now = performance.now();
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s.cb && s.deadline <= now) {
        const cb = s.cb;
        s.cb = null;
        s.orphaned = true;
        cb(new ClientTimeoutError(this.endpoint, s.timeoutMs), null);
      }
    }
  }

  /** Closes the socket and fails every pending and queued request. Idempotent. */
  destroy(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    if (this.timeoutTimer) clearInterval(this.timeoutTimer);
    this.socket?.destroy();
    this.options.onClose?.(reason);
    const err = new ConnectionLostError(this.endpoint, reason);
    for (const s of this.slots) {
      const cb = s.cb;
      s.cb = null;
      s.orphaned = false;
      if (cb) cb(err, null);
    }
    for (let i = this.waitingHead; i < this.waiting.length; i++) this.waiting[i].cb(err, null);
    this.waiting.length = 0;
    this.waitingHead = 0;
  }

  /** Graceful close: waits for the pending writes to leave, then closes. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.flush();
    return new Promise((resolve) => {
      const sock = this.socket;
      sock.end(() => {
        this.destroy('closed by client');
        resolve();
      });
      setTimeout(() => { this.destroy('closed by client'); resolve(); }, 1000).unref();
    });
  }

  // ---------------------------------------------------------------------------------------
  // Statements

  private toResponse(f: Frame): Response {
    const r = new Reader(f.body);
    const extras = readResponseExtras(r, f.flags);
    if (f.opcode !== Opcode.RESULT) throw new ClientProtocolError(`${this.endpoint}: expected RESULT, got opcode ${f.opcode}`);
    const result = readResult(r);
    if (result.kind === 'set_keyspace') this.keyspace = result.keyspace;
    return { result, extras };
  }

  private resultPromise(opcode: number, encode: (w: Writer) => void, opts: QueryOptions): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.send(opcode, encode, (err, frame) => {
        if (err) { reject(err); return; }
        try {
          resolve(this.toResponse(frame!));
        } catch (e) {
          reject(e instanceof ProtocolViolation ? new ClientProtocolError(`${this.endpoint}: ${e.message}`) : e);
        }
      }, opts.timeoutMs ?? this.requestTimeoutMs, opts.tracing ? FrameFlag.TRACING : 0);
    });
  }

  /** QUERY. Values are serialized with `opts.types` or, without them, inferred types. */
  async query(cql: string, values: unknown[] = [], opts: QueryOptions = {}): Promise<Result> {
    return (await this.queryWithExtras(cql, values, opts)).result;
  }

  queryWithExtras(cql: string, values: unknown[] = [], opts: QueryOptions = {}): Promise<Response> {
    const raw = values.map((v, i) => serializeFree(v, opts.types?.[i]));
    const params = this.params(raw, opts);
    return this.resultPromise(Opcode.QUERY, (w) => writeQuery(w, cql, params), opts);
  }

  async prepare(cql: string): Promise<PreparedStatement> {
    const { result } = await this.resultPromise(Opcode.PREPARE, (w) => writePrepare(w, cql), {});
    if (result.kind !== 'prepared') throw new ClientProtocolError(`${this.endpoint}: PREPARE answered with ${result.kind}`);
    const stmt: PreparedStatement = {
      cql,
      keyspace: this.keyspace,
      id: result.id,
      bindColumns: result.metadata.columns,
      pkIndexes: result.metadata.pkIndexes,
      resultColumns: result.resultMetadata.columns ?? [],
      bindCodecs: result.metadata.columns.map((c) => codecFor(c.type)),
      isLwt: this.lwtMask !== 0 && (result.metadata.flags & this.lwtMask) !== 0,
    };
    this.preparedByCql.set(cql, stmt);
    return stmt;
  }

  /** EXECUTE; on Unprepared (the server forgot the id) re-PREPAREs on this connection and retries once. */
  async execute(stmt: PreparedStatement, values: unknown[] = [], opts: QueryOptions = {}): Promise<Result> {
    return (await this.executeWithExtras(stmt, values, opts)).result;
  }

  async executeWithExtras(stmt: PreparedStatement, values: unknown[] = [], opts: QueryOptions = {}): Promise<Response> {
    try {
      return await this.executeOnce(stmt, values, opts);
    } catch (e) {
      if (!(e instanceof UnpreparedError)) throw e;
      await this.reprepare(stmt);
      return this.executeOnce(stmt, values, opts);
    }
  }

  private async reprepare(stmt: PreparedStatement): Promise<void> {
    const fresh = await this.prepare(stmt.cql);
    stmt.id = fresh.id;
  }

  private executeOnce(stmt: PreparedStatement, values: unknown[], opts: QueryOptions): Promise<Response> {
    const { bindCodecs } = stmt;
    if (values.length !== bindCodecs.length) {
      return Promise.reject(new ValueEncodeError(`statement expects ${bindCodecs.length} values, got ${values.length}: ${stmt.cql}`));
    }
    return this.resultPromise(Opcode.EXECUTE, (w) => encodeExecute(w, stmt, values, opts, this.protocolVersion), opts);
  }

  /**
   * Hot path for the load engine: EXECUTE with a callback and no promise. The callback gets the
   * reply frame (RESULT); Unprepared is handled by re-preparing and retrying once.
   */
  executeFast(stmt: PreparedStatement, values: unknown[], opts: QueryOptions, cb: ResponseCallback): void {
    this.executeFastInternal(stmt, values, opts, cb, false);
  }

  // Arguments for encodeExecThunk: set right before a synchronous dispatch, so the hot path
  // needs no closure per request.
  private execStmt: PreparedStatement | null = null;
  private execValues: unknown[] | null = null;
  private execOpts: QueryOptions | null = null;
  private readonly encodeExecThunk = (w: Writer): void => encodeExecute(w, this.execStmt!, this.execValues!, this.execOpts!, this.protocolVersion);

  private executeFastInternal(stmt: PreparedStatement, values: unknown[], opts: QueryOptions, cb: ResponseCallback, retried: boolean): void {
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const id = this.closed ? undefined : this.freeIds.pop();
    if (id === undefined) {
      // closed, or every stream busy: the generic path queues (or fails) with its own closure
      this.send(Opcode.EXECUTE, (w) => encodeExecute(w, stmt, values, opts, this.protocolVersion), (err, frame) => {
        if (err instanceof UnpreparedError && !retried) {
          this.reprepare(stmt).then(() => this.executeFastInternal(stmt, values, opts, cb, true), (e: unknown) => cb(e instanceof CqlError ? e : new ValueEncodeError(String(e)), null));
          return;
        }
        cb(err, frame);
      }, timeoutMs);
      return;
    }
    this.execStmt = stmt;
    this.execValues = values;
    this.execOpts = opts;
    const dispatched = this.dispatch(id, Opcode.EXECUTE, 0, this.encodeExecThunk, cb, timeoutMs);
    this.execStmt = null;
    this.execValues = null;
    this.execOpts = null;
    if (!dispatched) return;
    const slot = this.slots[id];
    slot.stmt = stmt;
    slot.values = values;
    slot.opts = opts;
    slot.retried = retried;
  }

  /** BATCH of prepared statements and/or query strings. */
  async batch(entries: { statement: PreparedStatement | string; values?: unknown[] }[], opts: QueryOptions & { type?: BatchType } = {}): Promise<Result> {
    const run = (): Promise<Response> => {
      const statements = entries.map((e) => {
        const vals = e.values ?? [];
        if (typeof e.statement === 'string') return { query: e.statement, values: vals.map((v) => serializeFree(v)) };
        const st = e.statement;
        return { query: st.id, values: vals.map((v, i) => serializeWith(st.bindCodecs[i], v)) };
      });
      return this.resultPromise(Opcode.BATCH, (w) => writeBatch(w, statements, {
        type: opts.type ?? BatchType.LOGGED,
        consistency: opts.consistency ?? Consistency.ONE,
        serialConsistency: opts.serialConsistency,
        timestampUs: opts.timestampUs,
      }), opts);
    };
    try {
      return (await run()).result;
    } catch (e) {
      if (!(e instanceof UnpreparedError)) throw e;
      for (const en of entries) if (typeof en.statement !== 'string' && en.statement.id.equals(e.statementId)) await this.reprepare(en.statement);
      return (await run()).result;
    }
  }

  async register(events: string[]): Promise<void> {
    const f = await this.requestPromise(Opcode.REGISTER, (w) => writeRegister(w, events));
    if (f.opcode !== Opcode.READY) throw new ClientProtocolError(`${this.endpoint}: REGISTER answered with opcode ${f.opcode}`);
  }

  private params(values: RawValue[], opts: QueryOptions): QueryParameters {
    return {
      consistency: opts.consistency ?? Consistency.ONE,
      values,
      skipMetadata: opts.skipMetadata,
      pageSize: opts.pageSize,
      pagingState: opts.pagingState,
      serialConsistency: opts.serialConsistency,
      timestampUs: opts.timestampUs,
    };
  }
}

/** Thrown when the server refuses our protocol version during the handshake (we step down). */
class VersionRefused extends ResponseError {
  constructor(message: string) {
    super(ErrorCode.PROTOCOL_ERROR, message);
  }
}

/** A bound value that does not fit its column, or the wrong number of values. */
export class ValueEncodeError extends CqlError {
  override name = 'ValueEncodeError';
  readonly kind = 'value-error' as const;
}

/**
 * Writes an EXECUTE body with values encoded straight from the prepared codecs: no
 * intermediate buffers per value.
 */
function encodeExecute(w: Writer, stmt: PreparedStatement, values: unknown[], opts: QueryOptions, version: number): void {
  w.shortBytes(stmt.id);
  let flags = 0;
  const n = values.length;
  if (n > 0) flags |= 0x01;
  if (opts.skipMetadata) flags |= 0x02;
  if (opts.pageSize !== undefined && opts.pageSize > 0) flags |= 0x04;
  if (opts.pagingState) flags |= 0x08;
  if (opts.serialConsistency !== undefined) flags |= 0x10;
  if (opts.timestampUs !== undefined) flags |= 0x20;
  w.short(opts.consistency ?? Consistency.ONE).byte(flags);
  if (n > 0) {
    w.short(n);
    const codecs = stmt.bindCodecs;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) w.int(-1);
      else if (v === UNSET) {
        if (version < 4) throw new ValueEncodeError('unset values need protocol v4');
        w.int(-2);
      } else {
        try {
          codecs[i].write(w, v);
        } catch (e) {
          throw new ValueEncodeError(`${stmt.bindColumns[i]?.name ?? `value ${i}`}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }
  if (flags & 0x04) w.int(opts.pageSize!);
  if (flags & 0x08) w.bytes(opts.pagingState!);
  if (flags & 0x10) w.short(opts.serialConsistency!);
  if (flags & 0x20) w.long(opts.timestampUs!);
}

function serializeWith(c: Codec | undefined, v: unknown): RawValue {
  if (v === null || v === undefined) return null;
  if (v === UNSET) return UNSET_MARK;
  if (!c) throw new ValueEncodeError('more values than bind markers');
  const w = new Writer(32);
  c.write(w, v);
  return Buffer.from(w.buf.subarray(4, w.pos));
}


/** Best-effort type for a value bound to a QUERY without type hints. */
export function inferType(v: unknown): CqlType {
  if (typeof v === 'string') return { kind: 'text' };
  if (typeof v === 'bigint') return { kind: 'bigint' };
  if (typeof v === 'boolean') return { kind: 'boolean' };
  if (typeof v === 'number') return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? { kind: 'int' } : { kind: 'double' };
  if (v instanceof Date) return { kind: 'timestamp' };
  if (v instanceof Uint8Array) return { kind: 'blob' };
  throw new ValueEncodeError(`cannot infer a CQL type for ${typeof v}; pass opts.types`);
}

function serializeFree(v: unknown, t?: CqlType): RawValue {
  if (v === null || v === undefined) return null;
  if (v === UNSET) return UNSET_MARK;
  if (Buffer.isBuffer(v) && !t) return v;
  return serializeWith(codecFor(t ?? inferType(v)), v);
}

export function parseSharding(s: Map<string, string[]>): ShardingInfo | undefined {
  const one = (k: string): string | undefined => s.get(k)?.[0];
  const nr = one('SCYLLA_NR_SHARDS');
  const shard = one('SCYLLA_SHARD');
  if (nr === undefined || shard === undefined) return undefined;
  const port = one('SCYLLA_SHARD_AWARE_PORT');
  const portSsl = one('SCYLLA_SHARD_AWARE_PORT_SSL');
  return {
    shard: Number(shard),
    nrShards: Number(nr),
    ignoreMsb: Number(one('SCYLLA_SHARDING_IGNORE_MSB') ?? '0'),
    partitioner: one('SCYLLA_PARTITIONER') ?? '',
    algorithm: one('SCYLLA_SHARDING_ALGORITHM') ?? '',
    shardAwarePort: port ? Number(port) : undefined,
    shardAwarePortSsl: portSsl ? Number(portSsl) : undefined,
  };
}
