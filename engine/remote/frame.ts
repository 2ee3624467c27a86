// The controller's half of a framed transfer (the host's half: receive-lib.ts). Whatever is sent
// to a host on stdin for it to keep (a file's content, a password for chpasswd, a crontab) goes
// in frames ending with a trailer that carries the size and sha256, so the host can tell a whole
// transfer from a connection that dropped half-way. The header line, the frames and the trailer
// travel on stdin only: the sha256 of a secret is never in a command line or a log.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/** Frames of at most this many bytes: each costs the host one `head -c`. */
export const FRAME_BYTES = 4 * 1024 * 1024;

export interface FrameHeader {
  /** Random hex only the controller and the host see: the host names its temp file with it. */
  token: string;
  /** The sha256 the target had when the plan was made (compare-and-swap), if any. */
  was?: string;
}

export function newToken(): string {
  return randomBytes(8).toString('hex');
}

function headerLine(h: FrameHeader): Buffer {
  return Buffer.from(`${h.token} ${h.was ?? '-'}\n`);
}

/** Known content in one buffer: header, frames, trailer. */
export function frameBytes(content: Buffer, header: FrameHeader): Buffer {
  const parts: Buffer[] = [headerLine(header)];
  for (let at = 0; at < content.length; at += FRAME_BYTES) {
    const frame = content.subarray(at, at + FRAME_BYTES);
    parts.push(Buffer.from(`${frame.length}\n`), frame);
  }
  parts.push(Buffer.from(`end ${content.length} ${createHash('sha256').update(content).digest('hex')}\n`));
  return Buffer.concat(parts);
}

export interface SentContent {
  size: number;
  sha256: string;
}

export interface FramedStream {
  stream: Readable;
  /**
   * Once the stream ended: what was sent; or the reason it was aborted (the source failed, or
   * `check` refused the content), in which case the host was told to drop it.
   */
  done: Promise<SentContent | { aborted: Error }>;
}

/**
 * A stream of unknown length, framed as it passes: chunks are gathered into frames of up to
 * FRAME_BYTES, hashed and counted on the way. At the end, `check` may refuse what passed (a
 * pinned sha256 that differs): the trailer is then `abort`, and the host keeps nothing.
 */
export function frameStream(source: AsyncIterable<Buffer | string>, header: FrameHeader, check?: (sent: SentContent) => Error | undefined): FramedStream {
  const hash = createHash('sha256');
  let size = 0;
  let settle!: (r: SentContent | { aborted: Error }) => void;
  const done = new Promise<SentContent | { aborted: Error }>((r) => (settle = r));
  async function* frames(): AsyncGenerator<Buffer> {
    yield headerLine(header);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = function* () {
      if (pendingBytes === 0) return;
      const frame = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      yield Buffer.from(`${frame.length}\n`);
      yield frame;
    };
    try {
      for await (const piece of source) {
        let chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
        hash.update(chunk);
        size += chunk.length;
        while (chunk.length > 0) {
          const room = FRAME_BYTES - pendingBytes;
          pending.push(chunk.subarray(0, room));
          pendingBytes += Math.min(room, chunk.length);
          chunk = chunk.subarray(room);
          if (pendingBytes === FRAME_BYTES) yield* flush();
        }
      }
      yield* flush();
    } catch (err) {
      settle({ aborted: err as Error });
      yield Buffer.from('abort\n');
      return;
    }
    const sent = { size, sha256: hash.digest('hex') };
    const refused = check?.(sent);
    if (refused) {
      settle({ aborted: refused });
      yield Buffer.from('abort\n');
      return;
    }
    settle(sent);
    yield Buffer.from(`end ${sent.size} ${sent.sha256}\n`);
  }
  return { stream: Readable.from(frames(), { objectMode: false }), done };
}
