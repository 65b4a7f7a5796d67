/**
 * A regular file read as a stream of chunks in a few buffers that are used again, once whoever
 * took a chunk gives it back (releaseChunk, after its write to a socket has completed). Fresh
 * memory is what a large stream costs here: reading 64 MiB into fresh 1 MiB buffers takes about
 * 220 ms on the CI machine, into eight reused ones about 45 ms (ADR 0075). A consumer that never
 * gives a chunk back costs what fs.createReadStream costs: a new buffer for each read.
 */
import { close, open, read } from 'node:fs';
import { Readable, type Writable } from 'node:stream';

/**
 * How a chunk goes back: a one-shot function on the chunk itself, under a key of the global symbol
 * registry, since the CLI's bundle and a driver's bundle each hold their own copy of this module.
 */
const GIVE_BACK = Symbol.for('berth.recycledChunk.giveBack');
type Recyclable = Buffer & { [GIVE_BACK]?: () => void };

/**
 * The consumer is done with CHUNK (nothing holds it any more): a chunk of a RecycledFileStream
 * goes back to be read into again (once); any other buffer is left alone.
 */
export function releaseChunk(chunk: Buffer): void {
  (chunk as Recyclable)[GIVE_BACK]?.();
}

/**
 * INPUT into SINK as `input.pipe(sink)` would (paused while SINK is full, SINK ended at INPUT's
 * end), each chunk released once SINK has written it. The returned function stops it.
 */
export function pipeReleasing(input: Readable, sink: Writable): () => void {
  const onDrain = () => input.resume();
  const onData = (c: Buffer) => {
    if (sink.write(c, () => releaseChunk(c))) return;
    input.pause();
    sink.once('drain', onDrain);
  };
  const onEnd = () => sink.end();
  const stop = () => {
    input.off('data', onData);
    input.off('end', onEnd);
    sink.off('drain', onDrain);
    sink.off('error', stop);
    input.pause();
  };
  input.on('data', onData);
  input.once('end', onEnd);
  sink.once('error', stop);
  return stop;
}

export interface RecycledFileOptions {
  /** Bytes per read. */
  chunk: number;
  /** Read exactly this many bytes (fewer is an error; more are left unread); else to EOF. */
  size?: number;
  /** Sent before the file's bytes, and after them. */
  before?: Buffer;
  after?: Buffer;
  /** Close the file at the end (always for a path; not for stdin). */
  autoClose: boolean;
}

export class RecycledFileStream extends Readable {
  private readonly free: Buffer[] = [];
  private fd = -1;
  private left: number;
  private reading = false;
  private started = false;

  /** FILE: an open descriptor (read from where it stands), or a path opened when the stream starts. */
  constructor(
    private readonly file: number | string,
    private readonly opts: RecycledFileOptions,
  ) {
    super({ highWaterMark: opts.chunk });
    this.left = opts.size ?? Number.POSITIVE_INFINITY;
  }

  override _construct(done: (e?: Error | null) => void): void {
    if (typeof this.file === 'number') {
      this.fd = this.file;
      done();
      return;
    }
    open(this.file, 'r', (err, fd) => {
      if (!err) this.fd = fd;
      done(err);
    });
  }

  override _read(): void {
    if (this.reading) return;
    if (!this.started) {
      this.started = true;
      if (this.opts.before && !this.push(this.opts.before)) return;
    }
    if (this.left === 0) {
      this.finish();
      return;
    }
    this.reading = true;
    const buf = this.free.pop() ?? this.fresh();
    const want = Math.min(buf.length, this.left);
    read(this.fd, buf, 0, want, null, (err, n) => {
      this.reading = false;
      if (err) return this.destroy(err);
      if (n === 0) {
        if (this.opts.size !== undefined)
          return this.destroy(
            new Error(`the file ended ${this.left} bytes short of its ${this.opts.size} (it shrank)`),
          );
        return this.finish();
      }
      this.left -= n;
      const chunk: Recyclable = buf.subarray(0, n);
      let back = false;
      chunk[GIVE_BACK] = () => {
        if (back) return;
        back = true;
        this.free.push(buf);
      };
      this.push(chunk);
    });
  }

  override _destroy(err: Error | null, done: (e: Error | null) => void): void {
    if (!this.opts.autoClose || this.fd < 0) done(err);
    else close(this.fd, () => done(err));
  }

  private fresh(): Buffer {
    return Buffer.allocUnsafeSlow(this.opts.chunk);
  }

  private finish(): void {
    if (this.opts.after) this.push(this.opts.after);
    this.push(null);
  }
}
