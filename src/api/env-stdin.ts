/**
 * The stdin of a running, detached environment created with -i (Docker's attach with stdin): a
 * stream that writes to the FIFO its monitor reads (chroot and container; core/stdin-fifo.ts).
 * Ending the stream lets the command see EOF unless it has a terminal (Docker's StdinOnce).
 */
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { Context } from './context.js';
import { StateError } from '../core/errors.js';
import { stdinFifoPath } from '../core/stdin-fifo.js';
import { resolveEnv } from './lifecycle.js';

export function openEnvStdin(ctx: Context, ref: string): Writable {
  const { record, handle } = resolveEnv(ctx, ref);
  const fix = `create it with -i on the chroot or container backend to type into its command`;
  if (!record.spec.interactive || (record.backend !== 'chroot' && record.backend !== 'container'))
    throw new StateError('no-stdin', `environment ${record.name} takes no input while it runs`, { fix });
  let fd: number;
  try {
    // Non-blocking: ENXIO at once when no monitor reads it (not running), instead of waiting.
    fd = openSync(stdinFifoPath(handle.dir), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StateError('no-stdin', `environment ${record.name} takes no input now (${code}): it is not running`, {
      fix: `start it first with "berth start ${record.name}"`,
    });
  }
  // A socket over the FIFO: libuv writes to a non-blocking pipe without blocking the event loop.
  const sink = new Socket({ fd, readable: false, writable: true });
  sink.on('error', () => {
    /* the monitor is gone: what is still written has nowhere to go */
  });
  return sink;
}
