/**
 * One CQL native-protocol connection: the socket (TCP or TLS, an optional local port for the
 * shard-aware pool), write coalescing (frames are encoded straight into one outbox and flushed
 * once per event-loop turn), the receive path, and the statement API.
 *
 * Every request goes through one path (`#submit`): a stream id from the StreamTable (or a place
 * in its FIFO), the body encoded at dispatch, the reply or the deadline. EXECUTE and BATCH keep
 * what they need to be sent again, so the one Unprepared retry (re-PREPARE on this connection,
 * send once more) serves the callback hot path (`executeFast`) and the promise API alike.
 *
 * Handshake and SASL: handshake.ts; stream ids, FIFO and deadlines: streams.ts; value encoding:
 * statement.ts.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { ProtocolViolation, Reader, Writer } from './buffer.js';
import { codecFor } from './codecs.js';
import {
  ClientProtocolError, ClientTimeoutError, ConnectError, ConnectionLostError, CqlError, ErrorCode, ProtocolVersionRefused,
  ResponseError, SocketConnectError, UnpreparedError, ValueEncodeError, decodeError, type ConnectFailure,
} from './errors.js';
import { FrameFlag, FrameParser, HEADER_BYTES, MAX_FRAME_BYTES, MAX_STREAMS, Opcode, type BodyCodec, type Frame } from './frame.js';
import { handshake, type Compression, type Credentials, type ShardingInfo } from './handshake.js';
import {
  readEvent, readResponseExtras, readResult, writePrepare, writeQuery, writeRegister,
  type ResponseExtras, type Result, type ServerEvent,
} from './messages.js';
import {
  encodeBatch, encodeExecute, queryParameters,
  type BatchEntry, type BatchOptions, type PreparedStatement, type QueryOptions,
} from './statement.js';
import { StreamTable, type ResponseCallback, type Waiting } from './streams.js';

export { AuthenticationError, SocketConnectError, ValueEncodeError } from './errors.js';
export { parseSharding, type Credentials, type ShardingInfo } from './handshake.js';
export { inferType, type BatchEntry, type PreparedStatement, type QueryOptions } from './statement.js';
export type { ResponseCallback } from './streams.js';

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
  compression?: Compression;
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

export interface Response {
  result: Result;
  extras?: ResponseExtras;
}

const DEFAULTS = {
  connectTimeoutMs: 5000,
  requestTimeoutMs: 12000,
  maxInFlight: 1024,
  maxQueued: 65536,
};

/**
 * A request from submit to reply. EXECUTE and BATCH are encoded from their statements (and can
 * be sent again after an Unprepared); other opcodes carry a body writer.
 */
interface Request {
  opcode: number;
  flags: number;
  encode: ((w: Writer) => void) | null;
  stmt: PreparedStatement | null;
  values: unknown[] | null;
  batch: readonly BatchEntry[] | null;
  opts: QueryOptions | null;
  /** Already sent again after an Unprepared: a second Unprepared goes to the caller. */
  retried: boolean;
}

function newRequest(): Request {
  return { opcode: 0, flags: 0, encode: null, stmt: null, values: null, batch: null, opts: null, retried: false };
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

function asCqlError(e: unknown): CqlError {
  return e instanceof CqlError ? e : new ValueEncodeError(e instanceof Error ? e.message : String(e));
}

export class Connection {
  readonly endpoint: string;
  readonly options: ConnectionOptions;
  supported = new Map<string, string[]>();
  protocolVersion: number;
  sharding: ShardingInfo | undefined;
  /** Extension keys negotiated in STARTUP. */
  extensions = new Set<string>();
  rateLimitErrorCode: number | undefined;
  lwtMask = 0;
  keyspace: string | undefined;
  /** The server's authenticator class when it asked us to log in (undefined: it let us in). */
  authenticator: string | undefined;
  /** Body compression negotiated (asked for and offered by the server), else undefined. */
  compression: 'lz4' | 'snappy' | undefined;
  closed = false;
  closeReason = '';

  #socket: net.Socket | undefined;
  readonly #parser: FrameParser;
  #compressor: BodyCodec | undefined;
  readonly #streams: StreamTable<Request>;
  readonly #requestTimeoutMs: number;
  readonly #outbox = new Writer(64 * 1024);
  /** Outbox buffers whose writes completed, ready for reuse. */
  readonly #spareBuffers: Buffer[] = [];
  #flushScheduled = false;
  /** Until the first reply, a protocol error about the version means: try a lower one. */
  #firstReplySeen = false;

  private constructor(options: ConnectionOptions, version: number) {
    this.options = options;
    this.endpoint = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    this.protocolVersion = version;
    this.#parser = new FrameParser(options.maxFrameBytes ?? MAX_FRAME_BYTES);
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    const maxInFlight = Math.min(options.maxInFlight ?? DEFAULTS.maxInFlight, MAX_STREAMS);
    this.#streams = new StreamTable(maxInFlight, options.maxQueued ?? DEFAULTS.maxQueued, newRequest, this.endpoint);
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
        await c.#open();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          if (options.signal?.aborted) throw new ConnectError(c.endpoint, 'connect aborted');
          await c.#handshake();
        } catch (e) {
          // a port that accepts TCP but never speaks CQL: say so, naming the endpoint
          if (e instanceof ClientTimeoutError) throw new ConnectError(c.endpoint, `no CQL handshake answer within ${e.timeoutMs} ms (connect timeout; is this a CQL port?)`, 'no-cql-answer');
          if (e instanceof ConnectionLostError) throw new ConnectError(c.endpoint, `closed during the CQL handshake (${c.closeReason})`, 'closed-in-handshake');
          throw e;
        }
        return c;
      } catch (e) {
        c.destroy(e instanceof Error ? e.message : String(e));
        if (e instanceof ProtocolVersionRefused && version > 3) {
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
    return this.#socket?.localPort;
  }

  /** Requests on the wire plus those queued for a stream id. */
  get inFlight(): number {
    return this.#streams.inFlight;
  }

  #open(): Promise<void> {
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
        if (o.tls && tcpUp) fail(`TLS handshake failed: ${e.code ? `${e.code}: ` : ''}${e.message}`, e.code, 'tls');
        else fail(describeSocketError(e), e.code);
      });
      sock.once(o.tls ? 'secureConnect' : 'connect', () => {
        if (settled) { sock.destroy(); return; }
        settled = true;
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        sock.setNoDelay(true);
        this.#socket = sock;
        sock.removeAllListeners('error');
        sock.on('error', (e: NodeJS.ErrnoException) => this.destroy(describeSocketError(e)));
        sock.on('close', () => this.destroy('closed by peer'));
        sock.on('data', (chunk: Buffer) => this.#onData(chunk));
        resolve();
      });
    });
  }

  async #handshake(): Promise<void> {
    const o = this.options;
    const timeoutMs = o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    const n = await handshake({
      endpoint: this.endpoint,
      request: (opcode, encode, ms) => this.#request(opcode, encode, ms),
      armDecompression: (codec) => { this.#parser.compressor = codec; },
      armCompression: (codec) => { this.#compressor = codec; },
    }, { compression: o.compression, scyllaExtensions: o.scyllaExtensions, credentials: o.credentials, timeoutMs });
    this.supported = n.supported;
    this.sharding = n.sharding;
    this.extensions = n.extensions;
    this.rateLimitErrorCode = n.rateLimitErrorCode;
    this.lwtMask = n.lwtMask;
    this.authenticator = n.authenticator;
    this.compression = n.compression;
    if (o.keyspace) await this.query(`USE "${o.keyspace.replace(/"/g, '""')}"`);
  }

  // ---------------------------------------------------------------------------------------
  // Sending: the one path

  /**
   * Sends one request; `encode` writes the body into the outbox. The callback gets the reply
   * frame (any opcode but ERROR) or a typed error. Never throws.
   */
  send(opcode: number, encode: (w: Writer) => void, cb: ResponseCallback, timeoutMs = this.#requestTimeoutMs, flags = 0): void {
    this.#submit(opcode, flags, encode, null, null, null, null, false, cb, timeoutMs);
  }

  /**
   * Hot path for the load engine: EXECUTE with a callback and no promise or closure. The
   * callback gets the RESULT frame; Unprepared is handled by re-preparing and retrying once.
   */
  executeFast(stmt: PreparedStatement, values: unknown[], opts: QueryOptions, cb: ResponseCallback): void {
    this.#submit(Opcode.EXECUTE, opts.tracing ? FrameFlag.TRACING : 0, null, stmt, values, null, opts, false, cb, opts.timeoutMs ?? this.#requestTimeoutMs);
  }

  #submit(
    opcode: number, flags: number, encode: ((w: Writer) => void) | null, stmt: PreparedStatement | null, values: unknown[] | null,
    batch: readonly BatchEntry[] | null, opts: QueryOptions | null, retried: boolean, cb: ResponseCallback, timeoutMs: number,
  ): void {
    if (this.closed) {
      cb(new ConnectionLostError(this.endpoint, this.closeReason || 'closed'), null);
      return;
    }
    const id = this.#streams.acquire();
    if (id < 0) {
      // every stream busy: wait in the FIFO (the only path that allocates a request)
      const request: Request = { opcode, flags, encode, stmt, values, batch, opts, retried };
      if (!this.#streams.enqueue({ request, cb, timeoutMs })) cb(this.#streams.exhausted(), null);
      return;
    }
    const r = this.#streams.requests[id];
    r.opcode = opcode;
    r.flags = flags;
    r.encode = encode;
    r.stmt = stmt;
    r.values = values;
    r.batch = batch;
    r.opts = opts;
    r.retried = retried;
    this.#dispatch(id, cb, timeoutMs);
  }

  #dispatchWaiting(id: number, w: Waiting<Request>): void {
    Object.assign(this.#streams.requests[id], w.request);
    this.#dispatch(id, w.cb, w.timeoutMs);
  }

  #encodeBody(w: Writer, r: Request): void {
    if (r.opcode === Opcode.EXECUTE && r.stmt) encodeExecute(w, r.stmt, r.values!, r.opts!, this.protocolVersion);
    else if (r.opcode === Opcode.BATCH && r.batch) encodeBatch(w, r.batch, r.opts!);
    else r.encode!(w);
  }

  /** Encodes the request on `id` into the outbox and starts its stream; a value that does not encode fails it. */
  #dispatch(id: number, cb: ResponseCallback, timeoutMs: number): void {
    const r = this.#streams.requests[id];
    const w = this.#outbox;
    const start = w.pos;
    let flags = r.flags;
    try {
      if (this.#compressor && r.opcode !== Opcode.STARTUP && r.opcode !== Opcode.OPTIONS) {
        const body = new Writer(256);
        this.#encodeBody(body, r);
        const compressed = this.#compressor.compress(body.buf.subarray(0, body.pos));
        w.ensure(HEADER_BYTES + compressed.length);
        w.pos += HEADER_BYTES;
        w.raw(compressed);
        flags |= FrameFlag.COMPRESSION;
      } else {
        w.ensure(HEADER_BYTES);
        w.pos += HEADER_BYTES;
        this.#encodeBody(w, r);
      }
    } catch (e) {
      // a value that does not fit its type: undo the partial frame, pass the id on, report
      w.pos = start;
      const next = this.#release(id, false);
      cb(asCqlError(e), null);
      if (next) this.#dispatchWaiting(id, next);
      return;
    }
    const b = w.buf;
    b[start] = this.protocolVersion;
    b[start + 1] = flags;
    b.writeInt16BE(id, start + 2);
    b[start + 4] = r.opcode;
    b.writeInt32BE(w.pos - start - HEADER_BYTES, start + 5);
    this.#streams.start(id, cb, timeoutMs);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Clears the request on `id` (no references kept) and gives the id back; returns a waiter to send on it. */
  #release(id: number, wasOnWire: boolean): Waiting<Request> | undefined {
    const r = this.#streams.requests[id];
    r.encode = null;
    r.stmt = null;
    r.values = null;
    r.batch = null;
    r.opts = null;
    return this.#streams.release(id, wasOnWire);
  }

  /** One socket write per event-loop turn, however many frames were queued. */
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (this.closed || this.#outbox.pos === 0) return;
    const out = this.#outbox;
    const full = out.buf;
    const data = full.subarray(0, out.pos);
    // The socket holds `data` until it is written: swap in a spare buffer now and take this one
    // back when the write completes, so the steady state allocates no outbox buffers at all.
    out.buf = this.#spareBuffers.pop() ?? Buffer.allocUnsafe(full.length);
    out.pos = 0;
    this.#socket!.write(data, () => {
      if (this.#spareBuffers.length < 4 && full.length <= 1024 * 1024) this.#spareBuffers.push(full);
    });
  };

  #request(opcode: number, encode: (w: Writer) => void, timeoutMs = this.#requestTimeoutMs, flags = 0): Promise<Frame> {
    return new Promise((resolve, reject) => {
      this.send(opcode, encode, (err, frame) => (err ? reject(err) : resolve(frame!)), timeoutMs, flags);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Receiving

  #onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.#parser.push(chunk);
    } catch (e) {
      this.destroy(`protocol violation from server: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    for (const f of frames) this.#onFrame(f);
  }

  #onFrame(f: Frame): void {
    if (f.stream < 0) {
      if (f.opcode === Opcode.EVENT && this.options.onEvent) {
        try {
          this.options.onEvent(readEvent(f.body));
        } catch { /* a malformed event must not take the connection down */ }
      }
      return;
    }
    const cb = this.#streams.finish(f.stream);
    if (cb === undefined) return; // nothing waits on that stream: ignore
    const firstReply = !this.#firstReplySeen;
    this.#firstReplySeen = true;
    // what an Unprepared retry needs, read before the id goes to the next request
    const r = this.#streams.requests[f.stream];
    const { opcode, stmt, values, batch, opts, retried } = r;
    const next = this.#release(f.stream, true);
    if (next) this.#dispatchWaiting(f.stream, next);
    if (cb === null) return; // the late reply of a request that already timed out

    if (f.opcode === Opcode.ERROR) {
      let err: CqlError;
      try {
        const rd = new Reader(f.body);
        readResponseExtras(rd, f.flags);
        err = decodeError(f.body.subarray(rd.pos), this.rateLimitErrorCode);
        if (firstReply && err instanceof ResponseError && err.code === ErrorCode.PROTOCOL_ERROR && /version/i.test(err.message)) {
          err = new ProtocolVersionRefused(err.message);
        }
      } catch (e) {
        err = new ClientProtocolError(`${this.endpoint}: undecodable ERROR frame: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (err instanceof UnpreparedError && !retried && (stmt || batch)) {
        this.#retryUnprepared(err, opcode, stmt, values, batch, opts!, cb);
        return;
      }
      cb(err, null);
      return;
    }
    cb(null, f);
  }

  /**
   * The server forgot a prepared statement (restart, cache eviction, another shard): PREPARE it
   * again on this connection and send the request once more. A second Unprepared is the caller's.
   */
  #retryUnprepared(
    err: UnpreparedError, opcode: number, stmt: PreparedStatement | null, values: unknown[] | null,
    batch: readonly BatchEntry[] | null, opts: QueryOptions, cb: ResponseCallback,
  ): void {
    const stale = new Set<PreparedStatement>();
    if (stmt) stale.add(stmt);
    for (const e of batch ?? []) if (typeof e.statement !== 'string' && e.statement.id.equals(err.statementId)) stale.add(e.statement);
    if (stale.size === 0) { cb(err, null); return; }
    Promise.all([...stale].map(async (s) => { s.id = (await this.prepare(s.cql)).id; })).then(
      () => this.#submit(opcode, opts.tracing ? FrameFlag.TRACING : 0, null, stmt, values, batch, opts, true, cb, opts.timeoutMs ?? this.#requestTimeoutMs),
      (e: unknown) => cb(asCqlError(e), null),
    );
  }

  /** Closes the socket and fails every pending and queued request. Idempotent. */
  destroy(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.#streams.stop();
    this.#socket?.destroy();
    this.options.onClose?.(reason);
    this.#streams.failAll(new ConnectionLostError(this.endpoint, reason));
  }

  /** Graceful close: waits for the pending writes to leave, then closes. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.#flush();
    return new Promise((resolve) => {
      this.#socket!.end(() => {
        this.destroy('closed by client');
        resolve();
      });
      setTimeout(() => { this.destroy('closed by client'); resolve(); }, 1000).unref();
    });
  }

  // ---------------------------------------------------------------------------------------
  // Statements (promise API)

  #toResponse(f: Frame): Response {
    const r = new Reader(f.body);
    const extras = readResponseExtras(r, f.flags);
    if (f.opcode !== Opcode.RESULT) throw new ClientProtocolError(`${this.endpoint}: expected RESULT, got opcode ${f.opcode}`);
    const result = readResult(r);
    if (result.kind === 'set_keyspace') this.keyspace = result.keyspace;
    return { result, extras };
  }

  #result(opcode: number, encode: ((w: Writer) => void) | null, stmt: PreparedStatement | null, values: unknown[] | null,
    batch: readonly BatchEntry[] | null, opts: QueryOptions): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.#submit(opcode, opts.tracing ? FrameFlag.TRACING : 0, encode, stmt, values, batch, opts, false, (err, frame) => {
        if (err) { reject(err); return; }
        try {
          resolve(this.#toResponse(frame!));
        } catch (e) {
          reject(e instanceof ProtocolViolation ? new ClientProtocolError(`${this.endpoint}: ${e.message}`) : e);
        }
      }, opts.timeoutMs ?? this.#requestTimeoutMs);
    });
  }

  /** QUERY. Values are serialized with `opts.types` or, without them, inferred types. */
  async query(cql: string, values: unknown[] = [], opts: QueryOptions = {}): Promise<Result> {
    return (await this.queryWithExtras(cql, values, opts)).result;
  }

  queryWithExtras(cql: string, values: unknown[] = [], opts: QueryOptions = {}): Promise<Response> {
    return this.#result(Opcode.QUERY, (w) => writeQuery(w, cql, queryParameters(values, opts)), null, null, null, opts);
  }

  async prepare(cql: string): Promise<PreparedStatement> {
    const { result } = await this.#result(Opcode.PREPARE, (w) => writePrepare(w, cql), null, null, null, {});
    if (result.kind !== 'prepared') throw new ClientProtocolError(`${this.endpoint}: PREPARE answered with ${result.kind}`);
    return {
      cql,
      keyspace: this.keyspace,
      id: result.id,
      bindColumns: result.metadata.columns,
      pkIndexes: result.metadata.pkIndexes,
      resultColumns: result.resultMetadata.columns ?? [],
      bindCodecs: result.metadata.columns.map((c) => codecFor(c.type)),
      isLwt: this.lwtMask !== 0 && (result.metadata.flags & this.lwtMask) !== 0,
    };
  }

  /** EXECUTE; on Unprepared (the server forgot the id) re-PREPAREs on this connection and retries once. */
  async execute(stmt: PreparedStatement, values: unknown[] = [], opts: QueryOptions = {}): Promise<Result> {
    return (await this.executeWithExtras(stmt, values, opts)).result;
  }

  executeWithExtras(stmt: PreparedStatement, values: unknown[] = [], opts: QueryOptions = {}): Promise<Response> {
    return this.#result(Opcode.EXECUTE, null, stmt, values, null, opts);
  }

  /** BATCH of prepared statements and/or query strings (logged by default). */
  async batch(entries: BatchEntry[], opts: BatchOptions = {}): Promise<Result> {
    return (await this.#result(Opcode.BATCH, null, null, null, entries, opts)).result;
  }

  async register(events: string[]): Promise<void> {
    const f = await this.#request(Opcode.REGISTER, (w) => writeRegister(w, events));
    if (f.opcode !== Opcode.READY) throw new ClientProtocolError(`${this.endpoint}: REGISTER answered with opcode ${f.opcode}`);
  }
}
