/**
 * One entry point that fully decodes a response frame, rows included. The connection decodes
 * lazily (rows stay bytes until asked for); this eager form serves tools, tests and the fuzzer.
 */
import { ProtocolViolation, Reader } from './buffer.js';
import { decodeError, type ResponseError } from './errors.js';
import { Opcode, type Frame } from './frame.js';
import { readEvent, readResponseExtras, readResult, type ResponseExtras, type Result, type ServerEvent } from './messages.js';
import { decodeRowArrays } from './rows.js';

export type DecodedResponse =
  | { opcode: 'ERROR'; error: ResponseError }
  | { opcode: 'READY' }
  | { opcode: 'AUTHENTICATE'; authenticator: string }
  | { opcode: 'SUPPORTED'; options: Map<string, string[]> }
  | { opcode: 'RESULT'; result: Result; rows?: unknown[][]; extras?: ResponseExtras }
  | { opcode: 'EVENT'; event: ServerEvent }
  | { opcode: 'AUTH_CHALLENGE' | 'AUTH_SUCCESS'; token: Buffer | null };

/** Throws only ProtocolViolation for malformed input. */
export function decodeResponse(f: Frame, rateLimitCode?: number): DecodedResponse {
  const r = new Reader(f.body);
  switch (f.opcode) {
    case Opcode.ERROR: {
      readResponseExtras(r, f.flags);
      return { opcode: 'ERROR', error: decodeError(f.body.subarray(r.pos), rateLimitCode) };
    }
    case Opcode.READY: return { opcode: 'READY' };
    case Opcode.AUTHENTICATE: return { opcode: 'AUTHENTICATE', authenticator: r.string() };
    case Opcode.SUPPORTED: return { opcode: 'SUPPORTED', options: r.stringMultimap() };
    case Opcode.RESULT: {
      const extras = readResponseExtras(r, f.flags);
      const result = readResult(r);
      const rows = result.kind === 'rows' && result.metadata.columns ? decodeRowArrays(result) : undefined;
      return { opcode: 'RESULT', result, rows, extras };
    }
    case Opcode.EVENT: return { opcode: 'EVENT', event: readEvent(f.body) };
    case Opcode.AUTH_CHALLENGE: return { opcode: 'AUTH_CHALLENGE', token: r.bytes() };
    case Opcode.AUTH_SUCCESS: return { opcode: 'AUTH_SUCCESS', token: r.bytes() };
    default: throw new ProtocolViolation(`unexpected response opcode 0x${f.opcode.toString(16)}`);
  }
}
