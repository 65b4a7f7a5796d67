/**
 * Where a detached `-i` environment of the shim backends takes its stdin from: a FIFO in its
 * state directory that its monitor makes and reads (native/shim/stdin_fifo.c), and that an
 * attaching client opens to write (`openStdin`, berth serve's attach with stdin).
 */
import { join } from 'node:path';

export function stdinFifoPath(envDir: string): string {
  return join(envDir, 'stdin');
}
