/**
 * The stdin of a running, detached `-i` environment of the shim backends: the FIFO its monitor
 * makes and reads (native/shim/stdin_fifo.c, core/stdin-fifo.ts), opened to write. Ending the
 * stream lets the command see EOF unless it has a terminal (Docker's StdinOnce).
 */
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { StateError } from '../../core/errors.js';
import { stdinFifoPath } from '../../core/stdin-fifo.js';

export function openShimStdin(envDir: string, name: string): Writable {
  let fd: number;
  try {
    // Non-blocking: ENXIO at once when no monitor reads it (not running), instead of waiting.
    fd = openSync(stdinFifoPath(envDir), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StateError('no-stdin', `environment ${name} takes no input now (${code}): it is not running`, {
      fix: `start it first with "berth start ${name}"`,
    });
  }
  // A socket over the FIFO: libuv writes to a non-blocking pipe without blocking the event loop.
  const sink = new Socket({ fd, readable: false, writable: true });
  sink.on('error', () => {
    /* the monitor is gone: what is still written has nowhere to go */
  });
  return sink;
}
