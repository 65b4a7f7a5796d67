/**
 * berth's one HTTP downloader (ADR 0033), on its own socket reader (raw-get.ts, ADR 0067). Used
 * for registry blobs, Debian indices and .debs (so kernels too) and `tar:URL` tarballs.
 *
 * - The bytes accumulate in `partial`, a file the caller names (one name per content, so a later
 *   call finds it). A `.partial` never counts as complete: the caller renames or commits it only
 *   after `download` returned, i.e. after its size and SHA-256 were checked. A kill -9 at any
 *   moment leaves at most a shorter `.partial`, which the next call resumes.
 * - An existing partial file is resumed with `Range: bytes=N-`; a server that ignores the range
 *   (200), refuses it (416) or answers another range makes the download start over.
 * - Streamed through SHA-256 while written; more bytes than `size`/`maxBytes` stop it at once.
 * - A digest mismatch deletes the partial file (nothing is left); when the bad bytes came from a
 *   resumed file, the whole content is fetched once more first.
 * - Within one call a broken transfer is resumed up to `retries` times.
 * - Byte progress goes to `onTransfer` (src/core/transfer.ts); the downloader never prints.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { ImageError } from '../../core/errors.js';
import { transferMeter, type TransferHook } from '../../core/transfer.js';
import { DigestMismatchError } from '../store/blob-store.js';
import { isNoSpace } from '../../core/no-space.js';
import { noSpaceError } from '../../host/no-space-error.js';
import { type HttpGetError, type RawGetResponse, rawGet } from './raw-get.js';

export interface DownloadRequest {
  url: string;
  /** Where the bytes accumulate (kept after an interruption, deleted after a mismatch). */
  partial: string;
  /** What the content is, for messages ("blob sha256:… of host/repo"); default: the URL. */
  what?: string;
  /** Headers for each request (called again after `onRefused` asked for a retry: fresh tokens). */
  headers?: () => Record<string, string>;
  /** The exact size, when known: more bytes are refused, and a partial file of this size is only verified. */
  size?: number;
  /** An upper bound when the exact size is unknown. */
  maxBytes?: number;
  /** `sha256:HEX` the content must have. */
  digest?: string;
  /** Attempts after the first after a broken transfer, each resuming (default 0). */
  retries?: number;
  /** Connect timeout and idle timeout on the socket (default 30 s). */
  timeoutMs?: number;
  /** A refused response (status >= 400): return true to send the request once more (after new auth). */
  onRefused?: (status: number, headers: Record<string, string | string[] | undefined>) => Promise<boolean>;
  onResume?: (from: number) => void;
  onTransfer?: TransferHook;
  /** The Transfer's id and label (default: the URL and its last path segment). */
  transferId?: string;
  label?: string;
}

export interface Downloaded {
  /** `sha256:HEX` of the content now complete in `partial`. */
  digest: string;
  size: number;
  /** Whether an existing partial file was continued. */
  resumed: boolean;
  /** Bytes moved over the network by this call. */
  transferred: number;
}

export type DownloadFailure = 'refused' | 'unreachable' | 'interrupted' | 'too-large';

/** A download that failed for a reason other than a digest mismatch or a full disk. */
export class DownloadError extends ImageError {
  constructor(
    readonly failure: DownloadFailure,
    message: string,
    opts: { fix: string; cause?: unknown },
    readonly status?: number,
  ) {
    super(`download-${failure}`, message, opts);
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

async function hashInto(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

function labelOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
  } catch {
    return url;
  }
}

type Attempt =
  | { kind: 'done'; result: Downloaded }
  | { kind: 'restart' }
  | { kind: 'broken'; error: unknown; done: number };

export async function download(req: DownloadRequest): Promise<Downloaded> {
  try {
    return await downloadOnce(req, true);
  } catch (e) {
    if (e instanceof DigestMismatchError && (e as DigestMismatchError & { resumed?: boolean }).resumed) {
      return downloadOnce(req, false); // the resumed bytes were bad and are deleted: once more, whole
    }
    throw e;
  }
}

async function downloadOnce(req: DownloadRequest, mayResume: boolean): Promise<Downloaded> {
  const what = req.what ?? req.url;
  const limit = req.size ?? req.maxBytes;
  if (!mayResume) rmSync(req.partial, { force: true });
  let have = sizeOf(req.partial);
  if (limit !== undefined && have > limit) {
    rmSync(req.partial, { force: true });
    have = 0;
  }
  if (have > 0 && req.size !== undefined && have === req.size) {
    // A complete partial file from an interrupted run: only verify it.
    const hash = createHash('sha256');
    await hashInto(hash, req.partial);
    return verified(req, what, hash, { resumed: true, transferred: 0 });
  }
  const retries = req.retries ?? 0;
  let transferred = 0;
  let resumed = false;
  let lastBreak: { error: unknown; done: number } | undefined;
  let restarts = 0;
  for (let attempt = 0; attempt <= retries; ) {
    const r = await attemptOnce(req, what, limit, (n) => (transferred += n));
    if (r.kind === 'done') {
      return { ...r.result, resumed: r.result.resumed || resumed, transferred };
    }
    if (r.kind === 'restart') {
      if (++restarts > 2) break;
      continue;
    }
    lastBreak = r;
    if (sizeOf(req.partial) > 0) resumed = true;
    attempt++;
  }
  const e = lastBreak?.error as { code?: string; message?: string } | undefined;
  throw new DownloadError(
    'interrupted',
    `downloading ${what} failed after ${lastBreak?.done ?? 0}${limit !== undefined ? ` of ${limit}` : ''} bytes: ${e?.code ?? e?.message ?? 'the server would not resume it'}`,
    { fix: 'run the command again: the download resumes where it stopped', cause: lastBreak?.error },
  );
}

async function attemptOnce(
  req: DownloadRequest,
  what: string,
  limit: number | undefined,
  count: (n: number) => void,
): Promise<Attempt> {
  const have = sizeOf(req.partial);
  for (let asked = 0; ; asked++) {
    const headers: Record<string, string> = { ...(req.headers?.() ?? {}) };
    if (have > 0) headers.range = `bytes=${have}-`;
    let res: RawGetResponse;
    try {
      res = await rawGet(req.url, { headers, timeoutMs: req.timeoutMs ?? 30_000 });
    } catch (e) {
      throw new DownloadError('unreachable', `cannot download ${what} (${req.url}): ${(e as HttpGetError).code}`, {
        fix: 'check the address and the network connection',
        cause: e,
      });
    }
    const { status } = res;
    if (status === 416 && have > 0) {
      res.discard();
      rmSync(req.partial, { force: true });
      return { kind: 'restart' };
    }
    if (status >= 400) {
      res.discard();
      if (asked === 0 && req.onRefused && (await req.onRefused(status, res.headers))) continue;
      throw new DownloadError(
        'refused',
        `cannot download ${what}: HTTP ${status}`,
        {
          fix: status >= 500 ? 'the server is failing; try again later' : 'check the address',
        },
        status,
      );
    }
    let append = false;
    if (status === 206) {
      if (have === 0 || !String(res.headers['content-range'] ?? '').startsWith(`bytes ${have}-`)) {
        res.discard();
        rmSync(req.partial, { force: true });
        return { kind: 'restart' };
      }
      append = true;
      req.onResume?.(have);
    } else if (status !== 200) {
      res.discard();
      throw new DownloadError(
        'refused',
        `cannot download ${what}: HTTP ${status}`,
        { fix: 'check the address' },
        status,
      );
    }
    const hash = createHash('sha256');
    if (append) await hashInto(hash, req.partial);
    let done = append ? have : 0;
    const length = Number(res.headers['content-length']);
    const total = req.size ?? (Number.isFinite(length) && length > 0 ? done + length : req.maxBytes);
    const bytes = transferMeter(req.onTransfer, req.transferId ?? req.url, req.label ?? labelOf(req.url), total, done);
    let tooLarge: DownloadError | undefined;
    let fd: number;
    try {
      fd = openSync(req.partial, append ? 'a' : 'w', 0o600);
    } catch (e) {
      res.discard();
      if (isNoSpace(e)) throw noSpaceError(req.partial, `downloading ${what}`, e);
      throw e;
    }
    try {
      // Each piece is a view into the reader's one buffer: counted, hashed and written before the
      // next read (page-cache writes; the blob store fsyncs the finished blob).
      await res.read((chunk) => {
        done += chunk.length;
        count(chunk.length);
        bytes.add(chunk.length);
        if (limit !== undefined && done > limit) {
          tooLarge = new DownloadError('too-large', `${what} is larger than the ${limit} bytes expected`, {
            fix: 'the server sent something else; nothing was kept',
          });
          throw tooLarge;
        }
        hash.update(chunk);
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
      });
    } catch (e) {
      closeSync(fd);
      if (tooLarge) {
        rmSync(req.partial, { force: true });
        throw tooLarge;
      }
      if (isNoSpace(e)) throw noSpaceError(req.partial, `downloading ${what}`, e);
      return { kind: 'broken', error: e, done }; // the partial file stays: resumed next
    }
    closeSync(fd);
    bytes.finish();
    return { kind: 'done', result: await verified(req, what, hash, { resumed: append, transferred: 0 }) };
  }
}

async function verified(
  req: DownloadRequest,
  what: string,
  hash: Hash,
  how: { resumed: boolean; transferred: number },
): Promise<Downloaded> {
  const digest = `sha256:${hash.digest('hex')}`;
  const size = sizeOf(req.partial);
  if ((req.digest && digest !== req.digest) || (req.size !== undefined && size !== req.size)) {
    rmSync(req.partial, { force: true });
    const e = new DigestMismatchError(req.digest ?? `${req.size} bytes`, req.digest ? digest : `${size} bytes`, what);
    if (how.resumed) Object.assign(e, { resumed: true });
    throw e;
  }
  return { digest, size, ...how };
}
