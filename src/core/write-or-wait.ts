/**
 * A write that keeps pace with a slow reader: undefined when STREAM took CHUNK, else a promise that
 * settles once it wants more ('drain') or will take no more ('close', 'error': its own listeners
 * see why). A stream already destroyed drops the chunk: nothing would ever drain it.
 */
import type { Writable } from 'node:stream';

export function writeOrWait(stream: Writable, chunk: Buffer): Promise<void> | undefined {
  if (stream.destroyed) return undefined;
  if (stream.write(chunk)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    stream.once('drain', done).once('close', done).once('error', done);
  });
}
