/**
 * `berth cp` with Docker's rules, through the environment's exec channel and the image's own sh,
 * stat and tar (so the same on every backend, separate kernels included): a path copied to an
 * existing directory lands inside it, to a path that does not exist becomes that path, `SRC/.`
 * copies a directory's contents, and `-` is a tar stream instead of a host path.
 */
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { posix } from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from './context.js';
import type { ExitResult } from '../drivers/driver.js';
import { DriverError, SpecError } from '../core/errors.js';
import { writeOrWait } from '../core/write-or-wait.js';
import { execIn } from './lifecycle.js';
import { copyInArgv, copyInRefusal, tarInArgv } from './copy-in-script.js';
import { execFed, type Fed } from './exec-fed.js';
import { fileTar } from './file-tar.js';
import { copyOutArgv, copyOutRefusal, parseCopyOutStat, type InsidePath } from './copy-out-script.js';

export type { InsidePath } from './copy-out-script.js';

type Run = (
  argv: string[],
  extra?: { input?: Readable; onStdout?: (c: Buffer) => void; onStderr?: (c: Buffer) => void },
) => Promise<ExitResult>;

function runner(ctx: Context, ref: string): Run {
  const id = ctx.store.find(ref).id;
  return (argv, extra = {}) =>
    execIn(ctx, id, argv, { tty: false, interactive: false, env: {}, stdio: 'pipe', keepStreamed: false, ...extra });
}

const firstLine = (b: Buffer | undefined) => (b?.toString('utf8').trim().split('\n')[0] ?? '').slice(0, 200);

function failed(what: string, r: ExitResult): DriverError {
  return new DriverError('copy-failed', `${what} failed (exit ${r.exitCode}): ${firstLine(r.stderr) || 'no message'}`, {
    fix: 'the image needs sh, stat, mktemp and tar, and the destination must be writable',
  });
}

function insidePath(p: string, what: string): string {
  if (!posix.isAbsolute(p))
    throw new SpecError('bad-path', `${what} "${p}" is not an absolute path inside the environment`, {
      fix: 'give an absolute path such as /tmp/x',
    });
  return p;
}

/** `DIR/.`: the directory's contents rather than the directory. */
const contentsOf = (p: string) => p === '.' || p.endsWith('/.');
const trailingSlash = (p: string) => p.length > 1 && p.endsWith('/');

/** The path's directory and last name, for `tar -C DIR NAME` (`/` and `DIR/.`: the contents). */
function tarSource(clean: string, contents: boolean): [string, string] {
  if (contents || clean === '/') return [clean, '.'];
  return [posix.dirname(clean), posix.basename(clean)];
}

/** Where a tar stream goes once the path's stat is known (before its first byte). */
export type TarSink = (stat: InsidePath) => Writable;

/**
 * Copy PATH inside to DEST on the host, or as a tar stream to DEST when it is a stream (or to
 * the stream a TarSink gives for the stat); returns what was copied. One exec
 * (copy-out-script.ts): the checks that need the path's kind are made inside, with what the host
 * knows of DEST passed in.
 */
export async function copyFromEnv(
  ctx: Context,
  ref: string,
  path: string,
  dest: string | Writable | TarSink,
): Promise<InsidePath> {
  const run = runner(ctx, ref);
  const src = insidePath(path, 'source');
  const contents = contentsOf(src);
  const clean = posix.normalize(src).replace(/(.)\/+$/, '$1');
  const [tarDir, tarName] = tarSource(clean, contents);
  const plan = { path: clean, mustBeDir: trailingSlash(src) || contents, tarDir, tarName };
  if (typeof dest === 'function') {
    const argv = copyOutArgv({ ...plan, dest: 'stream', destTrailingSlash: false, destParentMissing: false });
    const sink = statFirst(dest);
    const r = await run(argv, { onStdout: sink.onStdout, onStderr: sink.onStderr });
    // Streamed output is not kept in the result (keepStreamed): the script's stderr is the sink's.
    const st = copiedOut({ ...r, stderr: sink.stderr() }, path, '-');
    sink.opened(st);
    return st;
  }
  if (typeof dest !== 'string') {
    const argv = copyOutArgv({ ...plan, dest: 'stream', destTrailingSlash: false, destParentMissing: false });
    return copiedOut(await run(argv, { onStdout: (c) => writeOrWait(dest, c) }), path, '-');
  }
  const target = resolve(dest);
  const there = await stat(target).catch(() => undefined);
  const parent = there ? undefined : await stat(dirname(target)).catch(() => undefined);
  const argv = copyOutArgv({
    ...plan,
    dest: there ? (there.isDirectory() ? 'dir' : 'file') : 'none',
    destTrailingSlash: trailingSlash(dest),
    destParentMissing: !there && !parent?.isDirectory(),
  });
  // The script refuses a missing parent itself (after the checks that come first); nothing to extract into then.
  if (!there && !parent?.isDirectory()) return copiedOut(await run(argv), path, dest);
  // Into an existing directory as it is; otherwise extracted beside the target and renamed onto it.
  const into = there?.isDirectory() ? target : await mkdtemp(join(dirname(target), '.berth-cp-'));
  try {
    const tar = await import('tar');
    const bytes = new PassThrough();
    // Owners from inside are not applied: the files belong to whoever runs berth (Docker's rule).
    const extracting = pipeline(bytes, tar.x({ cwd: into, preserveOwner: false }) as unknown as NodeJS.WritableStream);
    const r = await run(argv, { onStdout: (c) => writeOrWait(bytes, c) });
    bytes.end();
    // A refusal sent no tar (node-tar then says "unrecognized archive"): its own error comes first.
    const extractError = await extracting.then(
      () => undefined,
      (e: unknown) => e,
    );
    const st = copiedOut(r, path, dest);
    if (extractError) throw extractError;
    if (into !== target) await rename(contents ? into : join(into, tarName), target);
    return st;
  } finally {
    if (into !== target) await rm(into, { recursive: true, force: true });
  }
}

/**
 * The exec's output for a TarSink: the tar on stdout is held until the stat the script writes
 * first on stderr has come (it is written before tar starts, so little is ever held), then goes
 * to the sink's stream as it comes. A refusal opens no stream.
 */
function statFirst(sink: TarSink) {
  let said = Buffer.alloc(0);
  let out: Writable | undefined;
  let held: Buffer[] = [];
  const open = (st: InsidePath) => {
    out = sink(st);
    for (const c of held) out.write(c);
    held = [];
  };
  return {
    /** All the script's stderr (the stat, then tar's messages, if any). */
    stderr: () => said,
    onStderr: (c: Buffer) => {
      said = Buffer.concat([said, c]);
      if (out) return;
      const st = parseCopyOutStat(said.toString('utf8'))?.stat;
      if (st) open(st);
    },
    /** At the sink's pace: a slow client holds the tar back inside (a refusal's output is small). */
    onStdout: (c: Buffer) => {
      if (out) return writeOrWait(out, c);
      held.push(c);
    },
    /** After a copy that succeeded: the stream is open (even if the stat came only with the result). */
    opened: (st: InsidePath) => {
      if (!out) open(st);
    },
  };
}

/** The stat of what was copied, or the refusal's or the failure's error. */
function copiedOut(r: ExitResult, path: string, dest: string): InsidePath {
  const refused = copyOutRefusal(r.exitCode, path, dest);
  if (refused) throw refused;
  const said = parseCopyOutStat(r.stderr?.toString('utf8') ?? '');
  if (r.exitCode !== 0 || !said) throw failed(`tar of ${path}`, said ? { ...r, stderr: Buffer.from(said.rest) } : r);
  return said.stat;
}

/** Copy the host path SRC, or a tar stream when SRC is a stream, to PATH inside: one exec (copy-in-script.ts). */
export async function copyToEnv(ctx: Context, ref: string, src: string | Readable, path: string): Promise<void> {
  const run = runner(ctx, ref);
  const dest = insidePath(path, 'destination');
  const clean = posix.normalize(dest).replace(/(.)\/+$/, '$1');
  const feedTo = (argv: string[], open: () => Readable) =>
    execFed((input, onStdout) => run(argv, { input, onStdout }), open);
  if (typeof src !== 'string') {
    const fed = await feedTo(tarInArgv(clean), () => src);
    settle(fed, 'tar stream', path, `extracting into ${path}`);
    return;
  }
  const from = resolve(src);
  const st = await stat(from).catch(() => undefined);
  if (!st) throw new SpecError('no-source', `no such file or directory: ${src}`, { fix: 'give an existing host path' });
  const contents = contentsOf(src);
  if ((trailingSlash(src) || contents) && !st.isDirectory())
    throw new SpecError('not-a-directory', `${src} is not a directory`, { fix: 'drop the trailing / or /.' });
  const [cwd, name] = contents ? [from, '.'] : [dirname(from), basename(from)];
  const open = (st.isFile() && (await fileTar(from, name, st))) || (await packer(cwd, name));
  const argv = copyInArgv({
    dest: clean,
    name,
    sourceIsDir: st.isDirectory(),
    contents,
    trailingSlash: trailingSlash(dest),
  });
  const fed = await feedTo(argv, open);
  settle(fed, src, path, `copying to ${path}`);
}

/** NAME in CWD as node-tar packs it (owners left out), a stream made when called. */
async function packer(cwd: string, name: string): Promise<() => Readable> {
  const tar = await import('tar');
  return () => Readable.from(tar.c({ cwd, portable: true }, [name]) as AsyncIterable<Buffer>, { objectMode: false });
}

/** A refusal's own error, the source's error, or the exec's failure. */
function settle(fed: Fed, src: string, path: string, what: string): void {
  const r = fed.result;
  if (!fed.opened) {
    const refused = copyInRefusal(r.exitCode, src, path);
    if (refused) throw refused;
  }
  if (fed.sourceError)
    throw new DriverError('copy-failed', `reading ${src} failed: ${fed.sourceError.message}`, {
      fix: 'check that the source can be read',
      cause: fed.sourceError,
    });
  if (r.exitCode !== 0) throw failed(what, r);
}
