/**
 * Native protocol frame layer (v3/v4 framing): a 9-byte header, then the body.
 * Shared by the client connection and the emulator's server side.
 */
import { ProtocolViolation } from './buffer.js';

export const HEADER_BYTES = 9;
/** The protocol's own ceiling (native_protocol_v4.spec §2.5): 256 MB. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;
/** v3+ stream ids are int16; only the non-negative ones belong to requests. */
export const MAX_STREAMS = 32768;
export const EVENT_STREAM = -1;

export const Opcode = {
  ERROR: 0x00, STARTUP: 0x01, READY: 0x02, AUTHENTICATE: 0x03, OPTIONS: 0x05, SUPPORTED: 0x06,
  QUERY: 0x07, RESULT: 0x08, PREPARE: 0x09, EXECUTE: 0x0a, REGISTER: 0x0b, EVENT: 0x0c,
  BATCH: 0x0d, AUTH_CHALLENGE: 0x0e, AUTH_RESPONSE: 0x0f, AUTH_SUCCESS: 0x10,
} as const;
export type OpcodeValue = (typeof Opcode)[keyof typeof Opcode];

export const OPCODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Opcode).map(([k, v]) => [v, k]),
);

export const FrameFlag = {
  COMPRESSION: 0x01, TRACING: 0x02, CUSTOM_PAYLOAD: 0x04, WARNING: 0x08, USE_BETA: 0x10,
} as const;

export interface Frame {
  /** Protocol version without the direction bit. */
  version: number;
  /** true for server → client frames (bit 0x80 of the version byte). */
  response: boolean;
  flags: number;
  stream: number;
  opcode: number;
  /** The body, decompressed if the compression flag was set. */
  body: Buffer;
}

/** A decompressor for frame bodies (LZ4 or Snappy as negotiated in STARTUP). */
export type BodyCodec = { compress(b: Buffer): Buffer; decompress(b: Buffer): Buffer };

/** Writes the 9-byte header at buf[at]. */
export function writeHeader(buf: Buffer, at: number, version: number, response: boolean, flags: number, stream: number, opcode: number, bodyBytes: number): void {
  buf[at] = (version & 0x7f) | (response ? 0x80 : 0);
  buf[at + 1] = flags;
  buf.writeInt16BE(stream, at + 2);
  buf[at + 4] = opcode;
  buf.writeInt32BE(bodyBytes, at + 5);
}

export function encodeFrame(version: number, response: boolean, flags: number, stream: number, opcode: number, body: Buffer, compressor?: BodyCodec): Buffer {
  let b = body;
  let f = flags;
  if (compressor && body.length > 0 && opcode !== Opcode.STARTUP && opcode !== Opcode.OPTIONS) {
    b = compressor.compress(body);
    f |= FrameFlag.COMPRESSION;
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + b.length);
  writeHeader(out, 0, version, response, f, stream, opcode, b.length);
  b.copy(out, HEADER_BYTES);
  return out;
}

/**
 * Incremental frame parser: feed socket chunks, get whole frames. Holds at most one partial
 * frame; rejects a header whose length is negative or above maxFrameBytes before buffering it.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  compressor: BodyCodec | undefined;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /**
   * Appends a chunk and returns the frames now complete. Throws ProtocolViolation on a bad
   * header (the stream is then unrecoverable: the caller closes the connection).
   */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    if (this.buffered < HEADER_BYTES) return frames;
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    let off = 0;
    while (buf.length - off >= HEADER_BYTES) {
      const versionByte = buf[off];
      const version = versionByte & 0x7f;
      const len = buf.readInt32BE(off + 5);
      if (len < 0 || len > this.maxFrameBytes) {
        throw new ProtocolViolation(`frame body length ${len} outside 0..${this.maxFrameBytes}`);
      }
      if (buf.length - off < HEADER_BYTES + len) {
        // Validate the header early (version, opcode) so garbage fails before we wait for a huge body.
        if (version < 1 || version > 6) throw new ProtocolViolation(`invalid protocol version byte 0x${versionByte.toString(16)}`);
        break;
      }
      const flags = buf[off + 1];
      const stream = buf.readInt16BE(off + 2);
      const opcode = buf[off + 4];
      let body = buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
      if (flags & FrameFlag.COMPRESSION) {
        if (!this.compressor) throw new ProtocolViolation('compressed frame but no compression negotiated');
        body = this.compressor.decompress(body);
      }
      frames.push({ version, response: (versionByte & 0x80) !== 0, flags, stream, opcode, body });
      off += HEADER_BYTES + len;
    }
    if (off === buf.length) {
      this.chunks = [];
      this.buffered = 0;
    } else {
      buf = buf.subarray(off);
      this.chunks = [buf];
      this.buffered = buf.length;
    }
    return frames;
  }
}
