/**
 * The CQL handshake of one connection: OPTIONS → SUPPORTED (sharding facts, offered
 * compression and Scylla extensions) → STARTUP with what both sides support → READY, or
 * AUTHENTICATE → SASL PLAIN → AUTH_SUCCESS. Runs over the connection's request function, so it
 * owns no socket.
 */
import { Reader, type Writer } from './buffer.js';
import { AuthenticationError, ClientProtocolError, ErrorCode, ResponseError } from './errors.js';
import { Opcode, type BodyCodec, type Frame } from './frame.js';
import { lz4BodyCodec } from './lz4.js';
import { snappyBodyCodec } from './snappy.js';
import { writeAuthResponse, writeStartup } from './messages.js';

export interface Credentials {
  username: string;
  /** Never logged, never written to results. */
  password: string;
}

/** Body compression to ask for; used when the server offers it in SUPPORTED (COMPRESSION). */
export type Compression = 'lz4' | 'snappy' | 'none';

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

export interface HandshakeOptions {
  compression?: Compression;
  /** Negotiate the Scylla protocol extensions the server offers. Default true. */
  scyllaExtensions?: boolean;
  credentials?: Credentials;
  timeoutMs: number;
}

/** What the connection needs from the handshake: a request/response and the decompressor switch. */
export interface HandshakeIo {
  readonly endpoint: string;
  request(opcode: number, encode: (w: Writer) => void, timeoutMs: number): Promise<Frame>;
  /** Inflate frames that carry the compression flag from now on. */
  armDecompression(codec: BodyCodec): void;
  /** Compress the frames sent from now on. */
  armCompression(codec: BodyCodec): void;
}

export interface Negotiated {
  supported: Map<string, string[]>;
  sharding: ShardingInfo | undefined;
  /** Extension keys sent in STARTUP. */
  extensions: Set<string>;
  /** The ERROR code of Scylla's rate-limit error, when that extension was negotiated. */
  rateLimitErrorCode: number | undefined;
  /** Scylla's LWT bit in prepared metadata flags (0: not negotiated). */
  lwtMask: number;
  /** The server's authenticator class when it asked us to log in. */
  authenticator: string | undefined;
  /** Body compression in use (asked for and offered), else undefined. */
  compression: Exclude<Compression, 'none'> | undefined;
}

const CODECS: Record<Exclude<Compression, 'none'>, BodyCodec> = { lz4: lz4BodyCodec, snappy: snappyBodyCodec };

/** The STARTUP options for what the server offered: compression and Scylla extensions. */
export function startupOptions(supported: Map<string, string[]>, o: Pick<HandshakeOptions, 'compression' | 'scyllaExtensions'>): {
  startup: Record<string, string>; rateLimitErrorCode: number | undefined; lwtMask: number;
} {
  const startup: Record<string, string> = { CQL_VERSION: '3.0.0', DRIVER_NAME: 'scylla-bench', DRIVER_VERSION: '0.1.0' };
  const offeredCompression = supported.get('COMPRESSION') ?? [];
  if (o.compression && o.compression !== 'none' && offeredCompression.includes(o.compression)) startup.COMPRESSION = o.compression;
  let rateLimitErrorCode: number | undefined;
  let lwtMask = 0;
  if (o.scyllaExtensions ?? true) {
    const rl = supported.get('SCYLLA_RATE_LIMIT_ERROR');
    if (rl) {
      startup.SCYLLA_RATE_LIMIT_ERROR = '';
      const m = /ERROR_CODE=(\d+)/.exec(rl[0] ?? '');
      rateLimitErrorCode = m ? Number(m[1]) : undefined;
    }
    const lwt = supported.get('SCYLLA_LWT_ADD_METADATA_MARK');
    if (lwt) {
      startup.SCYLLA_LWT_ADD_METADATA_MARK = lwt[0] ?? '';
      const m = /LWT_OPTIMIZATION_META_BIT_MASK=(\d+)/.exec(lwt[0] ?? '');
      lwtMask = m ? Number(m[1]) : 0;
    }
    if (supported.has('TABLETS_ROUTING_V1')) startup.TABLETS_ROUTING_V1 = '';
  }
  return { startup, rateLimitErrorCode, lwtMask };
}

export async function handshake(io: HandshakeIo, o: HandshakeOptions): Promise<Negotiated> {
  const supportedFrame = await io.request(Opcode.OPTIONS, () => {}, o.timeoutMs);
  if (supportedFrame.opcode !== Opcode.SUPPORTED) throw new ClientProtocolError(`${io.endpoint}: expected SUPPORTED, got opcode ${supportedFrame.opcode}`);
  const supported = new Reader(supportedFrame.body).stringMultimap();
  const { startup, rateLimitErrorCode, lwtMask } = startupOptions(supported, o);
  const extensions = new Set(Object.keys(startup).filter((k) => k.startsWith('SCYLLA_') || k.startsWith('TABLETS_')));

  // Cassandra already compresses its answer to STARTUP; the parser only inflates frames that
  // carry the compression flag, so arming it before sending is safe either way.
  const codec = startup.COMPRESSION ? CODECS[startup.COMPRESSION as keyof typeof CODECS] : undefined;
  if (codec) io.armDecompression(codec);
  const ready = await io.request(Opcode.STARTUP, (w) => writeStartup(w, startup), o.timeoutMs);
  if (codec) io.armCompression(codec);
  let authenticator: string | undefined;
  if (ready.opcode === Opcode.AUTHENTICATE) {
    authenticator = new Reader(ready.body).string();
    await authenticate(io, authenticator, o);
  } else if (ready.opcode !== Opcode.READY) {
    throw new ClientProtocolError(`${io.endpoint}: expected READY, got opcode ${ready.opcode}`);
  }
  return { supported, sharding: parseSharding(supported), extensions, rateLimitErrorCode, lwtMask, authenticator, compression: codec ? (startup.COMPRESSION as Exclude<Compression, 'none'>) : undefined };
}

/** SASL PLAIN initial response: authzid NUL authcid NUL password. */
function plainToken(c: Credentials): Buffer {
  return Buffer.concat([Buffer.from([0]), Buffer.from(c.username, 'utf8'), Buffer.from([0]), Buffer.from(c.password, 'utf8')]);
}

async function authenticate(io: HandshakeIo, authenticatorClass: string, o: HandshakeOptions): Promise<void> {
  const creds = o.credentials;
  if (!creds) throw new AuthenticationError(io.endpoint, `server requires authentication (${authenticatorClass}) but no credentials were given`);
  for (let round = 0; round < 10; round++) {
    // PLAIN has a single round; further challenges get the same token, as drivers do
    const token = plainToken(creds);
    let f: Frame;
    try {
      f = await io.request(Opcode.AUTH_RESPONSE, (w) => writeAuthResponse(w, token), o.timeoutMs);
    } catch (e) {
      if (e instanceof ResponseError && e.code === ErrorCode.BAD_CREDENTIALS) {
        throw new AuthenticationError(io.endpoint, `authentication failed for user '${creds.username}': ${e.message}`);
      }
      throw e;
    }
    if (f.opcode === Opcode.AUTH_SUCCESS) return;
    if (f.opcode !== Opcode.AUTH_CHALLENGE) throw new ClientProtocolError(`${io.endpoint}: unexpected opcode ${f.opcode} during authentication`);
  }
  throw new AuthenticationError(io.endpoint, 'authentication did not complete after 10 rounds');
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
