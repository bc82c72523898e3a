/**
 * The native-protocol side of the emulator (Scylla's transport/server.cc): one listener per
 * node on the regular port and one on the shard-aware port, connection-to-shard placement as
 * Scylla does it (shard-aware port: client source port mod shard count; regular port: the shard
 * with the fewest connections), the OPTIONS/STARTUP/AUTH handshake with Scylla's extensions,
 * events, and request decoding; each request goes to the scheduler (scheduler.ts), and the reply
 * leaves when it says.
 *
 * A malformed frame gets a PROTOCOL_ERROR and closes only its own connection.
 */
import net from 'node:net';
import { ProtocolViolation, Reader, UNSET_MARK, Writer } from '../cql/buffer.js';
import { ErrorCode, ResponseError, encodeErrorBody } from '../cql/errors.js';
import { encodeFrame, FrameParser, HEADER_BYTES, Opcode, writeHeader, type BodyCodec, type Frame } from '../cql/frame.js';
import { lz4BodyCodec } from '../cql/lz4.js';
import { snappyBodyCodec } from '../cql/snappy.js';
import {
  readBatch, readExecute, readQuery, writeEvent, writePreparedResult, writeResponseExtras, writeRowsResult, writeSchemaChangeResult,
  writeSetKeyspaceResult, writeSupported, writeVoidResult, type QueryParameters, type RawValue, type SchemaChange,
} from '../cql/messages.js';
import type { Cluster, SimNode, SimShard } from './cluster.js';
import { registerClient, type ClientRecord } from './clients.js';
import { countMessage, countParsed, countPrepare, countStatement } from './cql-stats.js';
import { hashPassword } from './cluster.js';
import { nowNs } from './capacity.js';
import type { Lane } from './qos.js';
import { DEFAULT_LEVEL, type EffectiveLevel } from './service-levels.js';
import { LWT_FLAG, type ExecExtras, type ExecParams, type ExecResult, type Session } from './context.js';
import type { Faults } from './faults.js';
import type { LatencyHistogram } from './latency.js';
import { toResponseError, type Executor } from './executor.js';
import { executeProtocolBatch } from './modify.js';
import { Scheduler, type RequestShape } from './scheduler.js';
import { deadlines, type DeadlineHandle } from './deadline.js';
import { CQL_VERSION, PARTITIONER } from './system.js';
import { InvalidRequest, type Bound } from './values.js';

export const AUTHENTICATOR = 'org.apache.cassandra.auth.PasswordAuthenticator';
const EVENT_TYPES = new Set(['TOPOLOGY_CHANGE', 'STATUS_CHANGE', 'SCHEMA_CHANGE']);
/** Compress only bodies worth it; a frame may always go uncompressed. */
const COMPRESS_MIN_BYTES = 512;
/** What SUPPORTED offers and STARTUP accepts (Scylla's transport/server.cc: lz4, then snappy). */
const CODECS: ReadonlyMap<string, BodyCodec> = new Map([['lz4', lz4BodyCodec], ['snappy', snappyBodyCodec]]);
/**
 * Handshake replies always leave uncompressed: a driver reads SUPPORTED before it chose a codec,
 * and some arm decompression only once READY / AUTHENTICATE arrived.
 */
const NEVER_COMPRESSED: ReadonlySet<number> = new Set([Opcode.READY, Opcode.AUTHENTICATE, Opcode.SUPPORTED]);

export interface ListenerInfo {
  node: SimNode;
  port: number;
  shardAware: boolean;
  /** open connections per shard accepted by this listener (for least-connections placement) */
  perShard: number[];
  /** connections ever accepted, per shard */
  acceptedPerShard: number[];
  server: net.Server;
}

export class SimServer {
  readonly listeners: ListenerInfo[] = [];
  readonly connections = new Set<SimConnection>();
  private readonly unsubscribe: () => void;

  /** Emulates a NAT between clients and the shard-aware port: source ports arrive rewritten. */
  natRewritesSourcePorts = false;

  readonly scheduler: Scheduler;

  constructor(readonly cluster: Cluster, readonly executor: Executor, readonly shardAwarePort: number, readonly faults: Faults) {
    this.scheduler = new Scheduler(cluster, faults);
    this.unsubscribe = cluster.onSchemaChange((c) => {
      for (const conn of this.connections) conn.sendSchemaEvent(c);
    });
  }

  async listen(node: SimNode, port: number, shardAware: boolean): Promise<void> {
    const shards = this.cluster.options.shards;
    const info: ListenerInfo = { node, port, shardAware, perShard: new Array(shards).fill(0), acceptedPerShard: new Array(shards).fill(0), server: net.createServer() };
    await this.open(info);
    this.listeners.push(info);
  }

  private async open(info: ListenerInfo): Promise<void> {
    info.server.on('connection', (socket) => this.accept(info, socket));
    await new Promise<void>((resolve, reject) => {
      info.server.once('error', reject);
      info.server.listen({ host: info.node.address, port: info.port, exclusive: true }, () => {
        info.server.off('error', reject);
        resolve();
      });
    });
  }

  /**
   * A node going down as a Scylla process does: its listeners close (new connections are
   * refused), its connections drop, and the other nodes' connections registered for
   * STATUS_CHANGE hear DOWN; coming back it listens again on both ports, then the others hear UP.
   */
  async setNodeUp(node: SimNode, up: boolean): Promise<void> {
    if (node.up === up) return;
    node.up = up;
    const mine = this.listeners.filter((l) => l.node === node);
    if (!up) {
      const closed = mine.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
      for (const c of this.connections) if (c.node === node) c.destroy();
      this.broadcast('STATUS_CHANGE', 'DOWN', node);
      await Promise.all(closed);
    } else {
      for (const l of mine) {
        l.server = net.createServer();
        await this.open(l);
      }
      this.broadcast('STATUS_CHANGE', 'UP', node);
    }
  }

  private accept(l: ListenerInfo, socket: net.Socket): void {
    const shards = this.cluster.options.shards;
    let shardId: number;
    // the client's port as this node sees it (system.clients shows it)
    let seenPort = socket.remotePort ?? 0;
    if (l.shardAware) {
      // target shard = client source port mod smp_count (seastar's port load balancing); a NAT
      // in between rewrites the port, so the connection lands elsewhere (tests: natRewritesSourcePorts)
      seenPort = (socket.remotePort ?? 0) + (this.natRewritesSourcePorts ? 1 : 0);
      shardId = seenPort % shards;
    } else {
      // fewest open connections accepted through this listener; ties go to the lowest shard
      shardId = 0;
      for (let i = 1; i < shards; i++) if (l.perShard[i] < l.perShard[shardId]) shardId = i;
    }
    l.perShard[shardId]++;
    l.acceptedPerShard[shardId]++;
    const shard = l.node.shards[shardId];
    shard.counters.connections++;
    socket.setNoDelay(true);
    const conn = new SimConnection(this, socket, l.node, shard, l.port, seenPort);
    this.connections.add(conn);
    const unregister = registerClient(l.node, conn.client);
    socket.once('close', () => {
      unregister();
      l.perShard[shardId]--;
      shard.counters.connections--;
      this.connections.delete(conn);
    });
  }

  async close(): Promise<void> {
    this.unsubscribe();
    for (const c of this.connections) c.destroy();
    await Promise.all(this.listeners.map((l) => new Promise<void>((resolve) => {
      if (l.server.listening) l.server.close(() => resolve());
      else resolve();
    })));
  }

  /** Sends STATUS_CHANGE / TOPOLOGY_CHANGE about `node` to the registered connections of the other nodes. */
  broadcast(type: 'STATUS_CHANGE' | 'TOPOLOGY_CHANGE', change: string, node: SimNode): void {
    for (const c of this.connections) if (c.node !== node) c.sendEvent(type, change, node.address);
  }
}

type State = 'initial' | 'authenticating' | 'ready';

export class SimConnection {
  private readonly parser = new FrameParser();
  private readonly w = new Writer(4096);
  private state: State = 'initial';
  private version = 4;
  /** the body codec replies use once the handshake is over (negotiated in STARTUP) */
  private codec: BodyCodec | undefined;
  private readonly registered = new Set<string>();
  private readonly session: Session;
  private closed = false;
  /** replies produced while handling one incoming chunk (null outside onData) */
  private batch: Buffer[] | null = null;
  /** replies waiting for their virtual-time completion */
  private readonly timers = new Set<DelayedReply>();
  /** the session's service level, re-resolved when the catalogue changes */
  private sl: EffectiveLevel = DEFAULT_LEVEL;
  private slGeneration = -1;

  /** this connection's row of system.clients (clients.ts) */
  readonly client: ClientRecord;

  /**
   * `listenerPort`: the port this connection came in on; events name it (transport/event_notifier.cc uses the connection's server port).
   * `clientPort`: the client's port as the node sees it.
   */
  constructor(private readonly server: SimServer, private readonly socket: net.Socket, readonly node: SimNode, readonly shard: SimShard, private readonly listenerPort: number, clientPort: number) {
    this.session = { cluster: server.cluster, node, shard, lwtMark: false, tabletsRouting: false };
    this.client = {
      address: (socket.remoteAddress ?? '0.0.0.0').replace(/^::ffff:/, ''), port: clientPort, shardId: shard.id, stage: 'ESTABLISHED',
      protocolVersion: null, options: null, username: undefined, levelName: () => (this.state === 'ready' ? this.level().name : 'default'),
    };
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => { /* the peer went away; 'close' cleans up */ });
    socket.on('close', () => { this.closed = true; this.clearTimers(); });
  }

  destroy(): void {
    this.closed = true;
    this.clearTimers();
    this.socket.destroy();
  }

  private clearTimers(): void {
    for (const d of this.timers) {
      deadlines.cancel(d.handle);
      this.shard.queue.pending--;
      d.lane.pending--;
    }
    this.timers.clear();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (e) {
      this.fatal(0, e instanceof Error ? e.message : String(e));
      return;
    }
    if (frames.length === 0) return;
    // replies to one chunk leave in one write: one buffer per syscall is far cheaper than writev of many
    this.batch = [];
    try {
      for (const f of frames) {
        if (this.closed) break;
        this.handle(f);
      }
    } finally {
      const out = this.batch;
      this.batch = null;
      // (null when fatal() already flushed and closed)
      if (out && out.length === 1) this.write(out[0]);
      else if (out && out.length > 1) this.write(Buffer.concat(out));
    }
  }

  /** A protocol error that leaves the stream unusable: answer, then close this connection only. */
  private fatal(stream: number, message: string): void {
    const err = this.encodeError(stream, new ResponseError(ErrorCode.PROTOCOL_ERROR, message));
    const pending = this.batch ?? [];
    this.batch = null;
    this.closed = true;
    this.socket.end(Buffer.concat([...pending, err]));
  }

  private handle(f: Frame): void {
    if (f.version < 3 || f.version > 4) {
      // Scylla speaks v3 and v4 only; this message makes drivers downgrade (transport/server.cc)
      const saved = this.version;
      this.version = Math.min(Math.max(f.version, 3), 4);
      this.sendError(f.stream, new ResponseError(ErrorCode.PROTOCOL_ERROR, `Invalid or unsupported protocol version: ${f.version}`));
      this.version = saved;
      return;
    }
    if (f.response) { this.fatal(f.stream, 'Invalid frame: response flag set on a request'); return; }
    if (this.state === 'initial' && f.opcode !== Opcode.STARTUP && f.opcode !== Opcode.OPTIONS) {
      this.sendError(f.stream, new ResponseError(ErrorCode.PROTOCOL_ERROR, `Unexpected message ${opcodeName(f.opcode)}, expecting STARTUP or OPTIONS`));
      return;
    }
    this.version = f.version;
    try {
      countMessage(this.shard, this.client.levelName(), f.opcode);
      switch (f.opcode) {
        case Opcode.OPTIONS: return this.onOptions(f);
        case Opcode.STARTUP: return this.onStartup(f);
        case Opcode.AUTH_RESPONSE: return this.onAuthResponse(f);
        case Opcode.REGISTER: return this.onRegister(f);
        case Opcode.QUERY: return this.onQuery(f);
        case Opcode.PREPARE: return this.onPrepare(f);
        case Opcode.EXECUTE: return this.onExecute(f);
        case Opcode.BATCH: return this.onBatch(f);
        default:
          this.fatal(f.stream, `Unknown or unexpected opcode 0x${f.opcode.toString(16).padStart(2, '0')}`);
      }
    } catch (e) {
      if (e instanceof ProtocolViolation) { this.fatal(f.stream, `Invalid frame body: ${e.message}`); return; }
      const re = toResponseError(e);
      if (re) { this.countError(re.code); this.sendError(f.stream, re); return; }
      // an emulator bug: report it as Server_error without a stack trace, keep serving
      this.countError(ErrorCode.SERVER_ERROR);
      this.sendError(f.stream, new ResponseError(ErrorCode.SERVER_ERROR, `emulator internal error: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  private countError(code: number): void {
    const m = this.shard.counters.errors;
    m.set(code, (m.get(code) ?? 0) + 1);
  }

  // --- handshake

  private onOptions(f: Frame): void {
    const cluster = this.server.cluster;
    const o = cluster.options;
    const m = new Map<string, string[]>([
      ['COMPRESSION', [...CODECS.keys()]],
      ['CQL_VERSION', [CQL_VERSION]],
      ['SCYLLA_LWT_ADD_METADATA_MARK', ['LWT_OPTIMIZATION_META_BIT_MASK=2147483648']],
      ['SCYLLA_NR_SHARDS', [String(o.shards)]],
      ['SCYLLA_PARTITIONER', [PARTITIONER]],
      ['SCYLLA_RATE_LIMIT_ERROR', ['ERROR_CODE=61440']],
      ['SCYLLA_SHARD', [String(this.shard.id)]],
      ['SCYLLA_SHARDING_ALGORITHM', ['biased-token-round-robin']],
      ['SCYLLA_SHARDING_IGNORE_MSB', ['12']],
      ['SCYLLA_SHARD_AWARE_PORT', [String(this.server.shardAwarePort)]],
      ['TABLETS_ROUTING_V1', ['']],
    ]);
    const w = this.begin();
    writeSupported(w, m);
    this.finish(f.stream, Opcode.SUPPORTED, 0);
  }

  private onStartup(f: Frame): void {
    const opts = new Reader(f.body).stringMap();
    if (!opts.has('CQL_VERSION')) throw new ResponseError(ErrorCode.PROTOCOL_ERROR, 'Missing value CQL_VERSION in STARTUP message');
    const comp = opts.get('COMPRESSION');
    if (comp !== undefined && comp !== '') {
      const codec = CODECS.get(comp.toLowerCase());
      if (!codec) throw new ResponseError(ErrorCode.PROTOCOL_ERROR, `Unknown compression algorithm: ${comp}`);
      this.parser.compressor = codec;
    }
    this.client.options = opts;
    this.client.protocolVersion = f.version;
    // an extension is enabled when its key is present; the value does not matter (transport/cql_protocol_extension.cc)
    this.session.lwtMark = opts.has('SCYLLA_LWT_ADD_METADATA_MARK');
    this.session.tabletsRouting = opts.has('TABLETS_ROUTING_V1');
    if (this.server.cluster.options.auth) {
      this.state = 'authenticating';
      this.client.stage = 'AUTHENTICATING';
      const w = this.begin();
      w.string(AUTHENTICATOR);
      this.finish(f.stream, Opcode.AUTHENTICATE, 0);
      return;
    }
    this.state = 'ready';
    this.client.stage = 'READY';
    this.begin();
    this.finish(f.stream, Opcode.READY, 0);
    // responses after READY may be compressed (drivers enable compression once READY arrives)
    this.codec = this.parser.compressor;
  }

  private onAuthResponse(f: Frame): void {
    if (this.state !== 'authenticating') throw new ResponseError(ErrorCode.PROTOCOL_ERROR, 'Unexpected AUTH_RESPONSE: no authentication in progress');
    const token = new Reader(f.body).bytes();
    // SASL PLAIN: [authzid] \0 authcid \0 password
    const parts = token ? token.toString('utf8').split('\u0000') : [];
    const user = parts.length >= 3 ? parts[1] : parts[0];
    const password = parts.length >= 3 ? parts[2] : parts[1];
    const role = user !== undefined ? this.server.cluster.roles.get(user) : undefined;
    if (!role || password === undefined || role.saltedHash !== hashPassword(password)) {
      throw new ResponseError(ErrorCode.BAD_CREDENTIALS, 'Username and/or password are incorrect');
    }
    if (!role.canLogin) throw new ResponseError(ErrorCode.BAD_CREDENTIALS, `${user} is not permitted to log in`);
    this.session.user = user;
    this.client.username = user;
    this.state = 'ready';
    this.client.stage = 'READY';
    const w = this.begin();
    w.bytes(null);
    this.finish(f.stream, Opcode.AUTH_SUCCESS, 0);
    this.codec = this.parser.compressor;
  }

  private requireReady(): void {
    if (this.state !== 'ready') throw new ResponseError(ErrorCode.PROTOCOL_ERROR, 'Cannot process requests before authentication has completed');
  }

  private onRegister(f: Frame): void {
    this.requireReady();
    for (const t of new Reader(f.body).stringList()) {
      if (!EVENT_TYPES.has(t)) throw new ResponseError(ErrorCode.PROTOCOL_ERROR, `Invalid value '${t}' for Type`);
      this.registered.add(t);
    }
    this.begin();
    this.finish(f.stream, Opcode.READY, 0);
  }

  // --- requests

  private params(p: QueryParameters): ExecParams {
    const out: ExecParams = { consistency: p.consistency };
    if (p.serialConsistency !== undefined) out.serialConsistency = p.serialConsistency;
    if (p.pageSize !== undefined) out.pageSize = p.pageSize;
    if (p.pagingState) out.pagingState = p.pagingState;
    if (p.timestampUs !== undefined) out.timestampUs = p.timestampUs;
    return out;
  }

  /** Bound values by marker index; named values are placed by their marker names. */
  private bound(p: QueryParameters, bindNames: readonly (string | undefined)[]): Bound {
    const vals = p.values ?? [];
    const conv = (v: RawValue): Buffer | null | symbol => (v === UNSET_MARK ? UNSET_MARK : v);
    if (!p.valueNames) return vals.map(conv);
    const out: (Buffer | null | symbol)[] = new Array(bindNames.length).fill(UNSET_MARK);
    p.valueNames.forEach((name, i) => {
      let found = false;
      bindNames.forEach((bn, j) => { if (bn === name) { out[j] = conv(vals[i]); found = true; } });
      if (!found) throw new InvalidRequest(`Invalid named value: no bind marker named ${name}`);
    });
    return out;
  }

  private onQuery(f: Frame): void {
    this.requireReady();
    this.shard.counters.requests++;
    const { cql, params } = readQuery(f.body);
    const ex = this.server.executor;
    const parsed = ex.parse(cql);
    countParsed(this.shard);
    countStatement(this.shard, parsed.statement, this.session.keyspace);
    const bound = this.bound(params, parsed.bindNames);
    if (bound.length !== parsed.bindCount) throw new InvalidRequest(`There were ${parsed.bindCount} markers(?) in CQL but ${bound.length} bound variables`);
    const plan = ex.planFor(cql, this.session.keyspace);
    const ep = this.params(params);
    this.serve(f.stream, plan, bound, ep, (extras) => plan.execute(this.session, bound, ep, extras), false);
  }

  private onPrepare(f: Frame): void {
    this.requireReady();
    const cql = new Reader(f.body).longString();
    const e = this.server.executor.prepare(this.session, cql);
    countPrepare(this.shard, e.id);
    const w = this.begin();
    const extraFlags = e.plan.isLwt && this.session.lwtMark ? LWT_FLAG : 0;
    writePreparedResult(w, e.id, e.plan.bindSpecs, e.plan.pkIndexes, e.plan.resultColumns, { extraFlags, version: this.version });
    this.finish(f.stream, Opcode.RESULT, 0);
  }

  private onExecute(f: Frame): void {
    this.requireReady();
    this.shard.counters.requests++;
    const { id, params } = readExecute(f.body);
    const e = this.server.executor.preparedEntry(id);
    countStatement(this.shard, e.parsed.statement, e.keyspace);
    const bound = this.bound(params, e.parsed.bindNames);
    if (bound.length !== e.parsed.bindCount) throw new InvalidRequest(`There were ${e.parsed.bindCount} markers(?) in CQL but ${bound.length} bound variables`);
    const ep = this.params(params);
    const plan = e.plan;
    this.serve(f.stream, plan, bound, ep, (extras) => plan.execute(this.session, bound, ep, extras), params.skipMetadata === true);
  }

  private onBatch(f: Frame): void {
    this.requireReady();
    this.shard.counters.requests++;
    const { statements, params } = readBatch(f.body);
    const ex = this.server.executor;
    const children = statements.map((s) => {
      if (typeof s.query === 'string') {
        const parsed = ex.parse(s.query);
        countParsed(this.shard);
        countStatement(this.shard, parsed.statement, this.session.keyspace);
        return { plan: ex.planFor(s.query, this.session.keyspace), bound: this.bound({ consistency: 0, values: s.values }, parsed.bindNames) };
      }
      const e = ex.preparedEntry(s.query);
      countStatement(this.shard, e.parsed.statement, e.keyspace);
      return { plan: e.plan, bound: this.bound({ consistency: 0, values: s.values }, e.parsed.bindNames) };
    });
    const type = params.type === 0 ? 'logged' : params.type === 1 ? 'unlogged' : 'counter';
    const ep: ExecParams = { consistency: params.consistency };
    if (params.serialConsistency !== undefined) ep.serialConsistency = params.serialConsistency;
    if (params.timestampUs !== undefined) ep.timestampUs = params.timestampUs;
    const first = children[0]?.plan;
    const batchPlan: RequestShape = { opKind: 'batch', target: first?.target, isCounter: type === 'counter', statements: children.length };
    this.serve(f.stream, batchPlan, [], ep, (extras) => executeProtocolBatch(this.server.cluster, this.session, children, type, ep, extras), false);
  }

  /**
   * Hands a request to the scheduler (admission, execution, capacity, faults, timeouts), then
   * sends what it decided: a result or an error, now or when its modelled completion comes.
   */
  private serve(stream: number, shape: RequestShape, bound: Bound, ep: ExecParams, run: (extras: ExecExtras) => ExecResult, skipMetadata: boolean): void {
    const d = this.server.scheduler.schedule(this.shard, this.level(), shape, bound, ep.consistency, run);
    switch (d.kind) {
      case 'shed':
        this.countError(d.error.code);
        this.sendError(stream, d.error);
        return;
      case 'error':
        this.countError(d.error.code);
        this.deliver(this.encodeError(stream, d.error), d.atNs, null, d.lane, d.t0, d.strict);
        return;
      case 'result':
        this.deliver(this.encodeResult(stream, d.result, d.extras, skipMetadata), d.atNs, d.latency, d.lane, d.t0, d.strict);
    }
  }

  /** The service level of this session's login role (attached level, else `default`). */
  private level(): EffectiveLevel {
    const sls = this.server.cluster.serviceLevels;
    if (this.slGeneration !== sls.generation) {
      this.sl = sls.effective(this.session.user);
      this.slGeneration = sls.generation;
    }
    return this.sl;
  }

  /**
   * Sends a reply now, or at `atNs` (virtual-time completion, injected latency) through the
   * process's deadline queue (deadline.ts): never before `atNs`, usually well under 0.1 ms
   * after. `strict` (injected latency): no reply leaves before `atNs` at all; otherwise a reply
   * due within 0.5 ms leaves at once, which keeps the capacity model's sub-ms replies off timers.
   */
  private deliver(frame: Buffer, atNs: number, hist: LatencyHistogram | null, lane: Lane, t0 = 0, strict = false): void {
    const q = this.shard.queue;
    const delayNs = atNs - nowNs();
    if (hist) hist.record(Math.max(0, (atNs - t0) / 1000));
    if (delayNs <= 0 || (!strict && delayNs < 0.5e6)) { this.write(frame); return; }
    q.pending++;
    lane.pending++;
    const d: DelayedReply = { handle: undefined as unknown as DeadlineHandle, lane };
    d.handle = deadlines.at(atNs / 1e6, () => {
      this.timers.delete(d);
      q.pending--;
      lane.pending--;
      this.write(frame);
    });
    this.timers.add(d);
  }

  // --- responses

  private begin(): Writer {
    const w = this.w.reset();
    w.ensure(HEADER_BYTES);
    w.pos = HEADER_BYTES;
    return w;
  }

  private finish(stream: number, opcode: number, flags: number): void {
    this.write(this.frameOf(stream, opcode, flags));
  }

  /** The frame built in this.w (header patched in front), compressed when negotiated and worth it. */
  private frameOf(stream: number, opcode: number, flags: number): Buffer {
    const w = this.w;
    const bodyBytes = w.pos - HEADER_BYTES;
    if (this.codec && bodyBytes >= COMPRESS_MIN_BYTES && !NEVER_COMPRESSED.has(opcode)) {
      return encodeFrame(this.version, true, flags, stream, opcode, Buffer.from(w.buf.subarray(HEADER_BYTES, w.pos)), this.codec);
    }
    writeHeader(w.buf, 0, this.version, true, flags, stream, opcode, bodyBytes);
    return Buffer.from(w.buf.subarray(0, w.pos));
  }

  private write(b: Buffer): void {
    if (this.batch) this.batch.push(b);
    else if (!this.socket.destroyed) this.socket.write(b);
  }

  private encodeResult(stream: number, r: ExecResult, extras: ExecExtras, skipMetadata: boolean): Buffer {
    const w = this.begin();
    const flags = writeResponseExtras(w, extras);
    switch (r.kind) {
      case 'void': writeVoidResult(w); break;
      case 'rows': writeRowsResult(w, r.columns, r.rows, { pagingState: r.pagingState ?? null, noMetadata: skipMetadata, version: this.version }); break;
      case 'set_keyspace': writeSetKeyspaceResult(w, r.keyspace); break;
      case 'schema_change': writeSchemaChangeResult(w, r.change); break;
    }
    return this.frameOf(stream, Opcode.RESULT, flags);
  }

  private encodeError(stream: number, e: ResponseError): Buffer {
    const w = this.begin();
    w.raw(encodeErrorBody(e));
    return this.frameOf(stream, Opcode.ERROR, 0);
  }

  sendError(stream: number, e: ResponseError): void {
    this.write(this.encodeError(stream, e));
  }

  sendSchemaEvent(c: SchemaChange): void {
    if (!this.registered.has('SCHEMA_CHANGE') || this.closed) return;
    const w = this.begin();
    writeEvent(w, { type: 'SCHEMA_CHANGE', change: c });
    this.finish(-1, Opcode.EVENT, 0);
  }

  sendEvent(type: 'STATUS_CHANGE' | 'TOPOLOGY_CHANGE', change: string, address: string): void {
    if (!this.registered.has(type) || this.closed) return;
    const w = this.begin();
    writeEvent(w, { type, change, address, port: this.listenerPort });
    this.finish(-1, Opcode.EVENT, 0);
  }
}

/** A reply waiting on a timer for its completion time. */
interface DelayedReply {
  handle: DeadlineHandle;
  lane: Lane;
}

function opcodeName(op: number): string {
  for (const [k, v] of Object.entries(Opcode)) if (v === op) return k;
  return `0x${op.toString(16)}`;
}
