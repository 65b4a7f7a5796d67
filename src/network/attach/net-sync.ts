/**
 * berth's side of the shim's --net-sync-fd handshake: read the child's host pid once its
 * network namespace exists, plumb it, answer "1". When plumbing fails the answer is "0" (the
 * child then stops with a setup error) and the promise rejects with berth's own error. EOF
 * before a pid means the child failed earlier: the shim reports that itself.
 */
import type { Duplex } from 'node:stream';

export function netSyncHandshake(
  sock: Duplex,
  plumb: (pid: number) => Promise<void>,
  beforeRefusal?: () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let started = false;
    sock.setEncoding('utf8');
    sock.on('error', () => {
      /* the child went away: the shim says why */
    });
    sock.on('data', (d: string) => {
      buf += d;
      if (started || !buf.includes('\n')) return;
      started = true;
      plumb(Number(buf.trim())).then(
        () => {
          sock.end('1');
          resolve();
        },
        (e: unknown) => {
          beforeRefusal?.();
          sock.end('0');
          reject(e);
        },
      );
    });
    sock.on('close', () => {
      if (!started) resolve();
    });
  });
}
