/**
 * An exec whose stdin is a stream opened only once the command says it will read it (its first
 * byte of stdout, the copy-in scripts' GO line): a command that refuses first ends with nothing
 * read from the source and nothing written to a pipe it never reads (no EPIPE). The stream is
 * passed on as it comes, at the pace the exec takes it.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { ExitResult } from '../drivers/driver.js';

/**
 * A block that is no tar header (its checksum is wrong): appended when the source fails midway,
 * so the tar inside fails too instead of taking a short archive as whole.
 */
const BROKEN = Buffer.alloc(512, 0xff);

export type FedRun = (input: Readable, onStdout: (c: Buffer) => void) => Promise<ExitResult>;

export interface Fed {
  result: ExitResult;
  /** The source was opened (the command got past its checks). */
  opened: boolean;
  /** The source's own error, when it failed. */
  sourceError?: Error;
}

export async function execFed(run: FedRun, open: () => Readable): Promise<Fed> {
  const feed = new PassThrough();
  let source: Readable | undefined;
  let sourceError: Error | undefined;
  const start = () => {
    const s = open();
    source = s;
    s.once('error', (e) => {
      sourceError ??= e;
      s.unpipe(feed);
      feed.end(BROKEN);
    });
    s.pipe(feed);
  };
  try {
    const result = await run(feed, () => {
      if (!source) start();
    });
    return { result, opened: source !== undefined, ...(sourceError ? { sourceError } : {}) };
  } finally {
    // The exec is over: whatever the command did not read is dropped.
    if (source && !source.readableEnded) {
      source.unpipe(feed);
      source.destroy();
    }
    feed.destroy();
  }
}
