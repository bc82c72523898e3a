/**
 * Typed errors: every ERROR code of the protocol (and Scylla's rate-limit error) decoded into
 * its own class with its body fields, plus the client-side failures a load tool must classify.
 * `kind` is the stable classification key used in results (errors by kind).
 */
import { Reader, Writer } from './buffer.js';
import { consistencyName, type Consistency } from './consistency.js';

export const ErrorCode = {
  SERVER_ERROR: 0x0000, PROTOCOL_ERROR: 0x000a, BAD_CREDENTIALS: 0x0100, UNAVAILABLE: 0x1000,
  OVERLOADED: 0x1001, IS_BOOTSTRAPPING: 0x1002, TRUNCATE_ERROR: 0x1003, WRITE_TIMEOUT: 0x1100,
  READ_TIMEOUT: 0x1200, READ_FAILURE: 0x1300, FUNCTION_FAILURE: 0x1400, WRITE_FAILURE: 0x1500,
  CDC_WRITE_FAILURE: 0x1600, SYNTAX_ERROR: 0x2000, UNAUTHORIZED: 0x2100, INVALID: 0x2200,
  CONFIG_ERROR: 0x2300, ALREADY_EXISTS: 0x2400, UNPREPARED: 0x2500,
  /** Scylla's value; a client must use the code advertised in SUPPORTED (ERROR_CODE=...). */
  RATE_LIMIT_DEFAULT: 0xf000,
} as const;

export type ErrorKind =
  | 'server-error' | 'protocol-error' | 'bad-credentials' | 'unavailable' | 'overloaded'
  | 'is-bootstrapping' | 'truncate-error' | 'write-timeout' | 'read-timeout' | 'read-failure'
  | 'function-failure' | 'write-failure' | 'cdc-write-failure' | 'syntax-error' | 'unauthorized'
  | 'invalid' | 'config-error' | 'already-exists' | 'unprepared' | 'rate-limit'
  // client side
  | 'client-timeout' | 'connection-lost' | 'connect-failed' | 'no-host' | 'client-protocol' | 'value-error'
  | 'stream-exhausted';

export const ALL_ERROR_KINDS: readonly ErrorKind[] = [
  'server-error', 'protocol-error', 'bad-credentials', 'unavailable', 'overloaded', 'is-bootstrapping',
  'truncate-error', 'write-timeout', 'read-timeout', 'read-failure', 'function-failure', 'write-failure',
  'cdc-write-failure', 'syntax-error', 'unauthorized', 'invalid', 'config-error', 'already-exists',
  'unprepared', 'rate-limit', 'client-timeout', 'connection-lost', 'connect-failed', 'no-host',
  'client-protocol', 'value-error', 'stream-exhausted',
];

/** Base of all errors this client raises. */
export abstract class CqlError extends Error {
  abstract readonly kind: ErrorKind;
}

/** An ERROR frame from the server. */
export class ResponseError extends CqlError {
  override name = 'ResponseError';
  readonly kind: ErrorKind;
  constructor(readonly code: number, message: string, kind?: ErrorKind) {
    super(message);
    this.kind = kind ?? kindOfCode(code);
  }
  /** Writes the code-specific fields after [int code][string message]. */
  writeExtra(_w: Writer): void {}
}

export class UnavailableError extends ResponseError {
  override name = 'UnavailableError';
  constructor(message: string, readonly consistency: Consistency, readonly required: number, readonly alive: number) {
    super(ErrorCode.UNAVAILABLE, message);
  }
  override writeExtra(w: Writer): void { w.short(this.consistency).int(this.required).int(this.alive); }
}

export type WriteType = 'SIMPLE' | 'BATCH' | 'UNLOGGED_BATCH' | 'COUNTER' | 'BATCH_LOG' | 'CAS' | 'VIEW' | 'CDC';

export class WriteTimeoutError extends ResponseError {
  override name = 'WriteTimeoutError';
  constructor(message: string, readonly consistency: Consistency, readonly received: number, readonly blockFor: number, readonly writeType: WriteType) {
    super(ErrorCode.WRITE_TIMEOUT, message);
  }
  override writeExtra(w: Writer): void { w.short(this.consistency).int(this.received).int(this.blockFor).string(this.writeType); }
}

export class ReadTimeoutError extends ResponseError {
  override name = 'ReadTimeoutError';
  constructor(message: string, readonly consistency: Consistency, readonly received: number, readonly blockFor: number, readonly dataPresent: boolean) {
    super(ErrorCode.READ_TIMEOUT, message);
  }
  override writeExtra(w: Writer): void { w.short(this.consistency).int(this.received).int(this.blockFor).byte(this.dataPresent ? 1 : 0); }
}

export class ReadFailureError extends ResponseError {
  override name = 'ReadFailureError';
  constructor(message: string, readonly consistency: Consistency, readonly received: number, readonly blockFor: number, readonly numFailures: number, readonly dataPresent: boolean) {
    super(ErrorCode.READ_FAILURE, message);
  }
  override writeExtra(w: Writer): void { w.short(this.consistency).int(this.received).int(this.blockFor).int(this.numFailures).byte(this.dataPresent ? 1 : 0); }
}

export class WriteFailureError extends ResponseError {
  override name = 'WriteFailureError';
  constructor(message: string, readonly consistency: Consistency, readonly received: number, readonly blockFor: number, readonly numFailures: number, readonly writeType: WriteType) {
    super(ErrorCode.WRITE_FAILURE, message);
  }
  override writeExtra(w: Writer): void { w.short(this.consistency).int(this.received).int(this.blockFor).int(this.numFailures).string(this.writeType); }
}

export class FunctionFailureError extends ResponseError {
  override name = 'FunctionFailureError';
  constructor(message: string, readonly keyspace: string, readonly functionName: string, readonly argTypes: string[]) {
    super(ErrorCode.FUNCTION_FAILURE, message);
  }
  override writeExtra(w: Writer): void { w.string(this.keyspace).string(this.functionName).stringList(this.argTypes); }
}

export class AlreadyExistsError extends ResponseError {
  override name = 'AlreadyExistsError';
  /** table is '' when a keyspace already exists. */
  constructor(message: string, readonly keyspace: string, readonly table: string) {
    super(ErrorCode.ALREADY_EXISTS, message);
  }
  override writeExtra(w: Writer): void { w.string(this.keyspace).string(this.table); }
}

export class UnpreparedError extends ResponseError {
  override name = 'UnpreparedError';
  constructor(message: string, readonly statementId: Buffer) {
    super(ErrorCode.UNPREPARED, message);
  }
  override writeExtra(w: Writer): void { w.shortBytes(this.statementId); }
}

/** Scylla's per-partition rate limit (negotiated SCYLLA_RATE_LIMIT_ERROR). */
export class RateLimitError extends ResponseError {
  override name = 'RateLimitError';
  constructor(code: number, message: string, readonly opType: 'read' | 'write', readonly rejectedByCoordinator: boolean) {
    super(code, message, 'rate-limit');
  }
  override writeExtra(w: Writer): void { w.byte(this.opType === 'read' ? 0 : 1).byte(this.rejectedByCoordinator ? 1 : 0); }
}

export function kindOfCode(code: number): ErrorKind {
  switch (code) {
    case ErrorCode.SERVER_ERROR: return 'server-error';
    case ErrorCode.PROTOCOL_ERROR: return 'protocol-error';
    case ErrorCode.BAD_CREDENTIALS: return 'bad-credentials';
    case ErrorCode.UNAVAILABLE: return 'unavailable';
    case ErrorCode.OVERLOADED: return 'overloaded';
    case ErrorCode.IS_BOOTSTRAPPING: return 'is-bootstrapping';
    case ErrorCode.TRUNCATE_ERROR: return 'truncate-error';
    case ErrorCode.WRITE_TIMEOUT: return 'write-timeout';
    case ErrorCode.READ_TIMEOUT: return 'read-timeout';
    case ErrorCode.READ_FAILURE: return 'read-failure';
    case ErrorCode.FUNCTION_FAILURE: return 'function-failure';
    case ErrorCode.WRITE_FAILURE: return 'write-failure';
    case ErrorCode.CDC_WRITE_FAILURE: return 'cdc-write-failure';
    case ErrorCode.SYNTAX_ERROR: return 'syntax-error';
    case ErrorCode.UNAUTHORIZED: return 'unauthorized';
    case ErrorCode.INVALID: return 'invalid';
    case ErrorCode.CONFIG_ERROR: return 'config-error';
    case ErrorCode.ALREADY_EXISTS: return 'already-exists';
    case ErrorCode.UNPREPARED: return 'unprepared';
    default: return 'server-error';
  }
}

/**
 * Decodes an ERROR body. rateLimitCode is the code Scylla advertised in SUPPORTED
 * (SCYLLA_RATE_LIMIT_ERROR: ERROR_CODE=...) when the extension was negotiated, else undefined.
 */
export function decodeError(body: Buffer, rateLimitCode?: number): ResponseError {
  const r = new Reader(body);
  const code = r.int();
  const msg = r.string();
  switch (code) {
    case ErrorCode.UNAVAILABLE: return new UnavailableError(msg, r.short() as Consistency, r.int(), r.int());
    case ErrorCode.WRITE_TIMEOUT: return new WriteTimeoutError(msg, r.short() as Consistency, r.int(), r.int(), r.string() as WriteType);
    case ErrorCode.READ_TIMEOUT: return new ReadTimeoutError(msg, r.short() as Consistency, r.int(), r.int(), r.byte() !== 0);
    case ErrorCode.READ_FAILURE: return new ReadFailureError(msg, r.short() as Consistency, r.int(), r.int(), r.int(), r.byte() !== 0);
    case ErrorCode.WRITE_FAILURE: return new WriteFailureError(msg, r.short() as Consistency, r.int(), r.int(), r.int(), r.string() as WriteType);
    case ErrorCode.FUNCTION_FAILURE: return new FunctionFailureError(msg, r.string(), r.string(), r.stringList());
    case ErrorCode.ALREADY_EXISTS: return new AlreadyExistsError(msg, r.string(), r.string());
    case ErrorCode.UNPREPARED: return new UnpreparedError(msg, Buffer.from(r.shortBytes()));
    default:
      if (rateLimitCode !== undefined && code === rateLimitCode) {
        return new RateLimitError(code, msg, r.byte() === 0 ? 'read' : 'write', r.byte() !== 0);
      }
      // Without the extension Scylla reports the rate limit as Config_error with the same text.
      if (code === ErrorCode.CONFIG_ERROR && msg.startsWith('Per-partition rate limit reached')) {
        return new ResponseError(code, msg, 'rate-limit');
      }
      return new ResponseError(code, msg);
  }
}

export function encodeErrorBody(e: ResponseError): Buffer {
  const w = new Writer(64);
  w.int(e.code).string(e.message);
  e.writeExtra(w);
  return w.toBuffer();
}

/**
 * Why a connection could not be opened, for counting failures by kind (a pool's
 * `connectFailures`): the socket refused or timed out, the peer closed or never answered the CQL
 * handshake, TLS failed, no local port was free, or the login was refused.
 */
export type ConnectFailure =
  | 'refused' | 'timeout' | 'unreachable' | 'reset' | 'closed-in-handshake' | 'no-cql-answer'
  | 'tls' | 'local-port' | 'auth' | 'other';

/** Failed to open a connection: names host:port and the cause in one line. */
export class ConnectError extends CqlError {
  override name = 'ConnectError';
  readonly kind = 'connect-failed' as const;
  constructor(readonly endpoint: string, cause: string, readonly failure: ConnectFailure = 'other') {
    super(`${endpoint}: ${cause}`);
  }
}

/** The socket could not connect: carries the errno code so pools can react (EADDRINUSE → next port). */
export class SocketConnectError extends ConnectError {
  override name = 'SocketConnectError';
  constructor(endpoint: string, cause: string, readonly code: string | undefined, failure: ConnectFailure = failureOfErrno(code)) {
    super(endpoint, cause, failure);
  }
}

function failureOfErrno(code: string | undefined): ConnectFailure {
  switch (code) {
    case 'ECONNREFUSED': return 'refused';
    case 'ETIMEDOUT': return 'timeout';
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'ENOTFOUND': case 'EAI_AGAIN': return 'unreachable';
    case 'ECONNRESET': case 'EPIPE': return 'reset';
    case 'EADDRINUSE': case 'EADDRNOTAVAIL': return 'local-port';
    default: return 'other';
  }
}

/** Login refused (bad credentials, or the server wants credentials we do not have). */
export class AuthenticationError extends CqlError {
  override name = 'AuthenticationError';
  readonly kind: ErrorKind = 'bad-credentials';
  constructor(readonly endpoint: string, cause: string) {
    super(`${endpoint}: ${cause}`);
  }
}

/** The kind of a failed connection attempt, whatever was thrown. */
export function connectFailureOf(e: unknown): ConnectFailure {
  if (e instanceof ConnectError) return e.failure;
  if (e instanceof AuthenticationError) return 'auth';
  if (e instanceof ConnectionLostError) return 'closed-in-handshake';
  if (e instanceof ClientTimeoutError) return 'no-cql-answer';
  return 'other';
}

export class ConnectionLostError extends CqlError {
  override name = 'ConnectionLostError';
  readonly kind = 'connection-lost' as const;
  constructor(readonly endpoint: string, cause: string) {
    super(`${endpoint}: connection lost (${cause})`);
  }
}

export class ClientTimeoutError extends CqlError {
  override name = 'ClientTimeoutError';
  readonly kind = 'client-timeout' as const;
  constructor(readonly endpoint: string, readonly timeoutMs: number) {
    super(`${endpoint}: no reply within ${timeoutMs} ms (client-side timeout)`);
  }
}

export class NoHostAvailableError extends CqlError {
  override name = 'NoHostAvailableError';
  readonly kind = 'no-host' as const;
}

export class ClientProtocolError extends CqlError {
  override name = 'ClientProtocolError';
  readonly kind = 'client-protocol' as const;
}

export class StreamExhaustedError extends CqlError {
  override name = 'StreamExhaustedError';
  readonly kind = 'stream-exhausted' as const;
}

/** A bound value that does not fit its column, or the wrong number of values. */
export class ValueEncodeError extends CqlError {
  override name = 'ValueEncodeError';
  readonly kind = 'value-error' as const;
}

/** The server refused our protocol version during the handshake (the connection steps down). */
export class ProtocolVersionRefused extends ResponseError {
  override name = 'ProtocolVersionRefused';
  constructor(message: string) {
    super(ErrorCode.PROTOCOL_ERROR, message);
  }
}

/** Human form for one-line CLI output: "write-timeout: Operation timed out ... (CL=QUORUM 1/2)". */
export function describeError(e: unknown): string {
  if (e instanceof WriteTimeoutError || e instanceof ReadTimeoutError) {
    return `${e.kind}: ${e.message} (CL=${consistencyName(e.consistency)} received ${e.received}/${e.blockFor})`;
  }
  if (e instanceof CqlError) return `${e.kind}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
