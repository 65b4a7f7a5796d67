/**
 * Waiting for the cells' records without polling them: fs.watch on the records directory wakes the
 * submitter the moment a task renames its record into place. A watch sees only what this host's
 * kernel sees (not another NFS client's writes), so a wait also ends after `ms` at the latest: the
 * caller's fallback scan. Listing the directory (not stat-ing each name) makes an NFS client
 * revalidate it, so a record another node wrote is not hidden by a cached "no such file".
 */
import { type FSWatcher, readdirSync, watch } from 'node:fs';

export interface RecordWatch {
  /** Resolves on the next change in the directory, after `ms`, or when `signal` aborts. */
  next(ms: number, signal?: AbortSignal): Promise<void>;
  /** The ids of the records the directory holds now (`<id>.json`). */
  ids(): Set<string>;
  close(): void;
}

export function watchRecords(dir: string): RecordWatch {
  let wake: (() => void) | undefined;
  let changed = false;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, () => {
      changed = true;
      wake?.();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // No inotify here (or no watch on this file system): the timeout is the only wake-up.
  }
  return {
    next(ms, signal) {
      if (changed || signal?.aborted) {
        changed = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          wake = undefined;
          changed = false;
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        signal?.addEventListener('abort', done, { once: true });
        wake = done;
      });
    },
    ids() {
      try {
        return new Set(
          readdirSync(dir)
            .filter((f) => f.endsWith('.json'))
            .map((f) => f.slice(0, -'.json'.length)),
        );
      } catch {
        return new Set();
      }
    },
    close() {
      watcher?.close();
      wake?.();
    },
  };
}
