/**
 * Copying files in and out of an environment through its exec channel: a tar stream into or out of
 * the image's own `tar` (busybox and Debian have one). The same on every backend, separate kernels
 * included, because it needs nothing but exec.
 */
import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SpecError, DriverError } from '../core/errors.js';
import type { ExitResult } from '../drivers/driver.js';

/** Runs argv inside with stdin = input, output captured. */
export type CaptureExec = (argv: string[], input?: Buffer) => Promise<ExitResult>;

const FIX_TOOLS = 'the image needs sh and tar, and the destination must be writable';

function firstLine(b: Buffer | undefined): string {
  return (b?.toString('utf8').trim().split('\n')[0] ?? '').slice(0, 200);
}

function absolute(p: string, what: string): void {
  if (!posix.isAbsolute(p))
    throw new SpecError('bad-path', `${what} "${p}" is not an absolute path inside the environment`, {
      fix: 'give an absolute path such as /tmp/x',
    });
}

/** Copy a host file or directory into the directory DESTDIR inside (created if missing). */
export async function copyIn(exec: CaptureExec, hostPath: string, destDir: string): Promise<void> {
  absolute(destDir, 'copyIn destination');
  await stat(hostPath).catch(() => {
    throw new SpecError('no-source', `copyIn source ${hostPath} does not exist`, { fix: 'give an existing host path' });
  });
  const tar = await import('tar');
  const chunks: Buffer[] = [];
  for await (const c of tar.c({ cwd: dirname(hostPath), portable: true }, [
    basename(hostPath),
  ]) as AsyncIterable<Buffer>)
    chunks.push(c);
  const r = await exec(
    ['sh', '-c', 'mkdir -p "$1" && exec tar -x -f - -C "$1"', 'copy-in', destDir],
    Buffer.concat(chunks),
  );
  if (r.exitCode !== 0)
    throw new DriverError('copy-failed', `copyIn to ${destDir} failed (exit ${r.exitCode}): ${firstLine(r.stderr)}`, {
      fix: FIX_TOOLS,
    });
}

/** Copy a file or directory from inside into the host directory HOSTDIR (created if missing). */
export async function copyOut(exec: CaptureExec, path: string, hostDir: string): Promise<void> {
  absolute(path, 'copyOut source');
  const r = await exec(['tar', '-c', '-f', '-', '-C', posix.dirname(path), posix.basename(path)]);
  if (r.exitCode !== 0)
    throw new DriverError('copy-failed', `copyOut of ${path} failed (exit ${r.exitCode}): ${firstLine(r.stderr)}`, {
      fix: 'check that the path exists inside and that the image has tar',
    });
  await mkdir(hostDir, { recursive: true });
  const tar = await import('tar');
  // Owners from inside are not applied (preserveOwner false); tar@7 refuses '..' and absolute names.
  await pipeline(
    Readable.from(r.stdout ?? Buffer.alloc(0)),
    tar.x({ cwd: hostDir, preserveOwner: false }) as unknown as NodeJS.WritableStream,
  );
}
