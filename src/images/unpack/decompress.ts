/**
 * Decompress a layer or rootfs tarball stream, picked by its magic bytes: gzip (zlib), zstd
 * (fzstd, pure JS: Node 20's zlib has no zstd), xz (xz-decompress, pure JS/wasm) or none.
 * docs/adr/0012-image-sources.md says why these libraries.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImageError } from '../../core/errors.js';
import { detectCompression } from './paths.js';

export type DetectedCompression = 'gzip' | 'zstd' | 'xz' | 'none';

export interface Opened {
  /** What the first bytes said. */
  detected: DetectedCompression;
  /** The decompressed bytes. */
  tar: AsyncIterable<Buffer>;
  close(): void;
}

/** Peek at the first bytes of `raw`, then hand back a stream that still starts with them. */
export async function peek(raw: Readable, n = 6): Promise<{ head: Buffer; joined: Readable }> {
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const r = await it.next();
    if (r.done) break;
    const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    chunks.push(c);
    have += c.length;
  }
  const joined = Readable.from(
    (async function* () {
      yield* chunks;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    })(),
    { objectMode: false },
  );
  return { head: Buffer.concat(chunks), joined };
}

/** zstd frames -> bytes, with fzstd's streaming decoder. */
async function* unzstd(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const { Decompress } = await import('fzstd');
  const out: Buffer[] = [];
  const d = new Decompress((chunk: Uint8Array) => {
    out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  for await (const c of src) {
    try {
      d.push(c);
    } catch (e) {
      throw new ImageError('bad-zstd', `corrupt zstd data: ${(e as Error).message}`, {
        fix: 'download the layer or tarball again',
        cause: e,
      });
    }
    while (out.length > 0) yield out.shift()!;
  }
  try {
    d.push(new Uint8Array(0), true);
  } catch (e) {
    throw new ImageError('bad-zstd', `truncated zstd data: ${(e as Error).message}`, {
      fix: 'download the layer or tarball again',
      cause: e,
    });
  }
  while (out.length > 0) yield out.shift()!;
}

async function unxz(src: Readable): Promise<Readable> {
  const { XzReadableStream } = (await import('xz-decompress')).default;
  const web = new XzReadableStream(Readable.toWeb(src) as unknown as ReadableStream<Uint8Array>);
  return Readable.fromWeb(web as unknown as import('node:stream/web').ReadableStream<Uint8Array>);
}

/**
 * Open `raw` decompressed. `allowed` lists what the caller accepts (OCI layers: not xz);
 * anything else is an ImageError naming what was found.
 */
export async function openDecompressed(
  raw: Readable,
  allowed: readonly DetectedCompression[],
  what: string,
): Promise<Opened> {
  const { head, joined } = await peek(raw);
  const detected = detectCompression(head);
  if (!allowed.includes(detected)) {
    raw.destroy();
    throw new ImageError(
      'compression',
      `${what} is ${detected === 'none' ? 'uncompressed' : `${detected}-compressed`}, which is not accepted here`,
      {
        fix: `use ${allowed.map((a) => (a === 'none' ? 'an uncompressed' : a)).join(', ')} data`,
      },
    );
  }
  const closeAll =
    (...s: { destroy(): void }[]) =>
    () => {
      for (const x of s) x.destroy();
      raw.destroy();
    };
  switch (detected) {
    case 'gzip': {
      const gunzip = createGunzip({ chunkSize: 256 * 1024 });
      joined.on('error', (e) => gunzip.destroy(e));
      joined.pipe(gunzip);
      return { detected, tar: gunzip, close: closeAll(gunzip, joined) };
    }
    case 'zstd':
      return { detected, tar: unzstd(joined), close: closeAll(joined) };
    case 'xz': {
      const s = await unxz(joined);
      return { detected, tar: s, close: closeAll(s, joined) };
    }
    default:
      return { detected, tar: joined, close: closeAll(joined) };
  }
}
