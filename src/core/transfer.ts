/**
 * Byte progress of long work (a download, a disk build), reported through an `onTransfer` hook:
 * the library never prints, the CLI draws it on a terminal. One Transfer per file or layer.
 */
export interface Transfer {
  /** Stable for one transfer within a call (a digest, a URL). */
  id: string;
  /** What to show: "layer 3f2a1b0c9d8e", "linux-image-6.1.0-50-cloud-amd64_6.1.176-1_amd64.deb". */
  label: string;
  /** Bytes done so far. */
  done: number;
  /** Bytes expected, when known. */
  total?: number;
  /** The last report of this transfer (done is final). */
  finished?: boolean;
}

export type TransferHook = (t: Transfer) => void;

export interface TransferMeter {
  /** `n` more bytes are done. */
  add(n: number): void;
  /** Set the bytes done (a poll of a growing file). */
  set(done: number): void;
  finish(): void;
}

/**
 * Reports `id` through `hook`: at the start, then whenever another 1/100 of `total` (or 256 KiB
 * when the total is unknown) is done, and at the end. Without a hook it does nothing.
 */
export function transferMeter(
  hook: TransferHook | undefined,
  id: string,
  label: string,
  total?: number,
  start = 0,
): TransferMeter {
  let done = start;
  let reported = -1;
  let finished = false;
  const step = total !== undefined && total > 0 ? Math.max(64 * 1024, Math.floor(total / 100)) : 256 * 1024;
  const report = (last: boolean) => {
    if (!hook || finished) return;
    reported = done;
    finished = last;
    hook({ id, label, done, ...(total !== undefined ? { total } : {}), ...(last ? { finished: true } : {}) });
  };
  report(false);
  return {
    add(n) {
      done += n;
      if (done - reported >= step) report(false);
    },
    set(d) {
      done = d;
      if (done - reported >= step) report(false);
    },
    finish() {
      report(true);
    },
  };
}
