/**
 * The host end of the bulk channel (ADR 0053): a session's stdin is written into files of the
 * shared directory (at most BULK_IN_WINDOW a session that the guest has not passed on yet, each
 * at most BULK_CHUNK), named by IN frames on the control line; output files the guest names by
 * OUT frames are read and removed here. Small input goes on the line as before (STDIN), and so
 * does everything until the guest said READY. The monitor owns the order: every frame, inline
 * or naming a file, goes through its one queue to the guest.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrame, FrameType as F } from './guest-protocol.js';
import {
  BULK_CHUNK,
  BulkFrame,
  decodeBulkDone,
  decodeBulkOut,
  encodeBulkIn,
  inFileName,
  outFileName,
} from './bulk-frames.js';

/** Input below this goes on the line: a keystroke should not cost a file. */
export const BULK_SMALL = 4096;
/** Files of one session's stdin the guest has not yet given to the process. */
export const BULK_IN_WINDOW = 4;

interface Input {
  parts: Buffer[];
  size: number;
  eof: boolean;
  eofSent: boolean;
  files: number;
  scheduled: boolean;
  waiters: { below: number; cb: () => void }[];
}

export class BulkChannel {
  private ready = false;
  private seq = 0;
  private readonly inputs = new Map<number, Input>();

  /**
   * `lineBusy`: the control line still has frames to pass on. Small input waits then (a trickle
   * of small writes, as a tar stream is, gathers into files instead of crawling over the line).
   */
  constructor(
    private readonly dir: string,
    private readonly toGuest: (frame: Buffer) => void,
    private readonly lineBusy: () => boolean = () => false,
  ) {
    // What an earlier boot of this environment left behind.
    const left = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile());
    for (const d of left) rmSync(join(dir, d.name), { force: true });
  }

  /** The guest shares the directory (its READY came). */
  get active(): boolean {
    return this.ready;
  }

  onReady(): void {
    this.ready = true;
  }

  /** Stdin for a guest session (empty: end of input), sent after everything sent before it. */
  stdin(session: number, data: Buffer): void {
    const s = this.input(session);
    if (data.length === 0) s.eof = true;
    else {
      s.parts.push(data);
      s.size += data.length;
    }
    // A burst of client reads becomes one file rather than many.
    this.schedule(session, s, false);
  }

  private schedule(session: number, s: Input, later: boolean): void {
    if (s.scheduled) return;
    s.scheduled = true;
    const run = () => {
      s.scheduled = false;
      this.flush(session, s);
    };
    if (later) setTimeout(run, 1);
    else setImmediate(run);
  }

  /** Stdin bytes of a session held here (not yet in a file or on the line). */
  held(session: number): number {
    return this.inputs.get(session)?.size ?? 0;
  }

  /** Calls `cb` once fewer than `below` bytes of the session are held (at once if so now). */
  whenHeldBelow(session: number, below: number, cb: () => void): void {
    const s = this.inputs.get(session);
    if (!s || s.size < below) cb();
    else s.waiters.push({ below, cb });
  }

  /** DONE: the guest gave one of the session's files to its process. */
  onDone(session: number, payload: Buffer): void {
    decodeBulkDone(payload);
    const s = this.inputs.get(session);
    if (!s) return;
    s.files = Math.max(0, s.files - 1);
    this.flush(session, s);
  }

  /** OUT: the bytes of the file it names (read and removed), and which stream they belong to. */
  takeOutput(payload: Buffer): { type: number; data: Buffer } {
    const o = decodeBulkOut(payload);
    const path = join(this.dir, outFileName(o.seq));
    try {
      const data = readFileSync(path);
      if (data.length !== o.length) throw new Error(`${data.length} of ${o.length} bytes`);
      return { type: o.type === F.STDERR ? F.STDERR : F.STDOUT, data };
    } finally {
      rmSync(path, { force: true });
    }
  }

  /** Tell the guest the session's output file was passed on: it may write the next. */
  taken(session: number): void {
    this.toGuest(encodeFrame(BulkFrame.TAKEN, session));
  }

  /** The session ended: what is held for it is dropped (the guest removes files it still gets). */
  end(session: number): void {
    const s = this.inputs.get(session);
    this.inputs.delete(session);
    for (const w of s?.waiters ?? []) w.cb();
  }

  private input(session: number): Input {
    let s = this.inputs.get(session);
    if (!s) {
      s = { parts: [], size: 0, eof: false, eofSent: false, files: 0, scheduled: false, waiters: [] };
      this.inputs.set(session, s);
    }
    return s;
  }

  private flush(session: number, s: Input): void {
    if (this.inputs.get(session) !== s) return;
    while (s.size > 0) {
      if (s.size >= BULK_SMALL && s.files >= BULK_IN_WINDOW) break;
      if (s.size < BULK_SMALL && (s.files > 0 || this.lineBusy())) {
        // Small, and the line or the files are busy: wait for more (or for them) to send it.
        if (s.files === 0) this.schedule(session, s, true);
        break;
      }
      const data = this.take(s, s.size < BULK_SMALL ? s.size : BULK_CHUNK);
      if (data.length < BULK_SMALL) {
        this.toGuest(encodeFrame(F.STDIN, session, data));
        continue;
      }
      const seq = ++this.seq >>> 0;
      try {
        // 0644: root's kernel runs as a uid of its own (ADR 0046) and reads it through hostfs.
        writeFileSync(join(this.dir, inFileName(seq)), data, { mode: 0o644 });
      } catch {
        // The directory is gone or full: the line still carries it, slowly.
        this.toGuest(encodeFrame(F.STDIN, session, data));
        continue;
      }
      s.files++;
      this.toGuest(encodeFrame(BulkFrame.IN, session, encodeBulkIn(seq, data.length)));
    }
    if (s.size === 0 && s.eof && !s.eofSent) {
      s.eofSent = true;
      this.toGuest(encodeFrame(F.STDIN, session));
    }
    for (let i = s.waiters.length - 1; i >= 0; i--) {
      const w = s.waiters[i]!;
      if (s.size < w.below) {
        s.waiters.splice(i, 1);
        w.cb();
      }
    }
  }

  /** The first `n` held bytes (fewer if fewer are held). */
  private take(s: Input, n: number): Buffer {
    const out: Buffer[] = [];
    let got = 0;
    while (got < n && s.parts.length > 0) {
      const p = s.parts[0]!;
      const want = n - got;
      if (p.length <= want) {
        out.push(p);
        s.parts.shift();
        got += p.length;
      } else {
        out.push(p.subarray(0, want));
        s.parts[0] = p.subarray(want);
        got += want;
      }
    }
    s.size -= got;
    return out.length === 1 ? out[0]! : Buffer.concat(out, got);
  }
}
