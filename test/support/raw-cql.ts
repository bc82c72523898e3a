/**
 * A bare-bones CQL v4 client for emulator protocol tests: sends frames exactly as written and
 * returns raw response frames, so tests can check bytes the real drivers hide (SUPPORTED keys,
 * error codes, connection closing). Not a driver: one request at a time.
 */
import net from 'node:net';
import { Reader, Writer } from '../../src/cql/buffer.js';
import { encodeFrame, FrameParser, Opcode, type Frame } from '../../src/cql/frame.js';
import { writeQuery, type QueryParameters } from '../../src/cql/messages.js';

export class RawCql {
  private readonly parser = new FrameParser();
  private readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      try {
        this.frames.push(...this.parser.push(d));
      } catch {
        this.closed = true;
      }
      this.wake();
    });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(host: string, port: number, localPort?: number): Promise<RawCql> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, localPort, localAddress: localPort ? '127.0.0.1' : undefined });
      s.once('connect', () => resolve(new RawCql(s)));
      s.once('error', reject);
    });
  }

  send(opcode: number, body: Buffer, stream = 1, version = 4): void {
    this.socket.write(encodeFrame(version, false, 0, stream, opcode, body));
  }

  sendRaw(b: Buffer): void {
    this.socket.write(b);
  }

  /** The next response frame, or null when the connection closed first. */
  async next(timeoutMs = 5000): Promise<Frame | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) return null;
      if (Date.now() > deadline) throw new Error('no response frame in time');
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
    return this.frames.shift()!;
  }

  async request(opcode: number, body: Buffer, stream = 1): Promise<Frame> {
    this.send(opcode, body, stream);
    const f = await this.next();
    if (!f) throw new Error('connection closed');
    return f;
  }

  async startup(options: Record<string, string> = { CQL_VERSION: '3.0.0' }): Promise<Frame> {
    return this.request(Opcode.STARTUP, new Writer().stringMap(options).toBuffer());
  }

  async query(cql: string, params: QueryParameters = { consistency: 1 }): Promise<Frame> {
    const w = new Writer();
    writeQuery(w, cql, params);
    return this.request(Opcode.QUERY, w.toBuffer());
  }

  close(): void {
    this.socket.destroy();
  }
}

export function supportedOf(f: Frame): Map<string, string[]> {
  return new Reader(f.body).stringMultimap();
}

export function errorOf(f: Frame): { code: number; message: string } {
  const r = new Reader(f.body);
  return { code: r.int(), message: r.string() };
}
