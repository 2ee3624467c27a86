// Streaming a regular file off a host through the controller, for writes whose content comes from
// another host (transfer) and for fetch. The source
// is read in chunks (dd, one exec per chunk, the next chunk read while the current one is
// consumed), so the controller holds at most two chunks whatever the file's size. The sha256 of
// the bytes that passed is computed on the way, for the caller to check against both ends.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { quote, shellJoin } from '../quote.ts';

/** Runs shell text on the source host. */
export type RunOn = (command: string, opts?: { logOutput?: boolean }) => Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>;

/** Bytes per dd exec: 4 MiB (dd's bs=1M times CHUNK_BLOCKS). */
export const CHUNK_BLOCKS = 4;
const BLOCK = 1024 * 1024;

export interface SourceInfo {
  size: number;
  sha256: string;
  mode: string;
}

/** Size, sha256 and mode of a regular file, read when the transfer starts. */
export async function sourceInfo(run: RunOn, path: string, where: string): Promise<SourceInfo> {
  const p = quote(path);
  const script = [
    `p=${p}`,
    `if [ ! -e "$p" ]; then echo "$p does not exist" >&2; exit 2; fi`,
    `if [ ! -f "$p" ]; then echo "$p is not a regular file" >&2; exit 2; fi`,
    `stat -c '%s %a' -- "$p" && sha256sum -- "$p"`,
  ].join('\n');
  const r = await run(script);
  if (r.code !== 0) throw new Error(`cannot read ${path} on ${where}: ${r.stderr.toString().trim() || `exit ${r.code}`}`);
  const [sizeLine = '', sumLine = ''] = r.stdout.toString().split('\n');
  const [size, mode] = sizeLine.split(' ');
  const sha256 = sumLine.split(' ')[0] ?? '';
  if (!/^\d+$/.test(size ?? '') || !/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`cannot read ${path} on ${where}: unexpected output ${JSON.stringify(r.stdout.toString().slice(0, 200))}`);
  return { size: Number(size), sha256, mode: (mode ?? '644').padStart(4, '0') };
}

/**
 * A mode taken from a file on another machine for a new file, without its setuid, setgid and sticky
 * bits: a host (maybe compromised) must not be able to plant a setuid file on the controller or on
 * the other hosts. An operator who wants them gives the mode explicitly.
 */
export function withoutSpecialBits(mode: string): string {
  return (parseInt(mode, 8) & 0o777).toString(8).padStart(4, '0');
}

export interface SourceStream {
  stream: Readable;
  /** Once the stream ended: the hex sha256 and byte count of what passed, or the read error. */
  result(): { sha256: string; bytes: number; error?: Error };
}

/**
 * The file's first `size` bytes as a stream. A failed read ends the stream early instead of
 * erroring it (the receiving end then sees a short file, fails its checksum, and result() says why):
 * an errored stdin would look like a broken connection to the receiving host.
 */
export function sourceStream(run: RunOn, path: string, size: number, where: string): SourceStream {
  const hash = createHash('sha256');
  let bytes = 0;
  let error: Error | undefined;
  let digest: string | undefined;
  const chunks = Math.ceil(size / (CHUNK_BLOCKS * BLOCK));
  const read = async (i: number): Promise<Buffer> => {
    // The bytes of the file stay out of the log: it may hold anything (keys, passwords).
    const r = await run(shellJoin(['dd', `if=${path}`, `bs=${BLOCK}`, `skip=${i * CHUNK_BLOCKS}`, `count=${CHUNK_BLOCKS}`, 'iflag=fullblock', 'status=none']), { logOutput: false });
    if (r.code !== 0) throw new Error(`reading ${path} on ${where} failed: ${r.stderr.toString().trim() || `exit ${r.code}`}`);
    return r.stdout;
  };
  async function* generate(): AsyncGenerator<Buffer> {
    let next: Promise<Buffer> | undefined = chunks > 0 ? read(0) : undefined;
    for (let i = 0; i < chunks; i++) {
      let chunk: Buffer;
      try {
        chunk = await next!;
      } catch (err) {
        error = err as Error;
        return;
      }
      // Read ahead while this chunk goes out; a failure is caught when it is awaited.
      next = i + 1 < chunks ? read(i + 1) : undefined;
      next?.catch(() => {});
      const wanted = Math.min(chunk.length, size - bytes);
      const part = chunk.subarray(0, wanted);
      hash.update(part);
      bytes += part.length;
      yield part;
      if (chunk.length < CHUNK_BLOCKS * BLOCK) break;
    }
  }
  return {
    stream: Readable.from(generate(), { objectMode: false }),
    result: () => {
      digest ??= hash.digest('hex');
      return { sha256: digest, bytes, ...(error ? { error } : {}) };
    },
  };
}
