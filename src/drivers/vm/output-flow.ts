/**
 * Guest -> client flow control in the VM monitor. Output of a session goes to its client's socket;
 * when the client reads slower than the guest writes, the socket's buffer would grow without
 * bound. So once a socket holds OUTPUT_LIMIT bytes, the session is paused in the guest (PAUSE:
 * the init stops reading its stdout and stderr, and the command blocks on a full pipe), and
 * resumed (RESUME) when the socket has drained or closed. Other sessions go on meanwhile.
 */
import { FrameType as F } from './guest-protocol.js';

export const OUTPUT_LIMIT = 1 << 20;

/** What OutputFlow needs of a socket. */
export interface OutputSink {
  readonly writableLength: number;
  once(event: 'drain' | 'close', cb: () => void): unknown;
  off(event: 'drain' | 'close', cb: () => void): unknown;
}

export class OutputFlow {
  private readonly paused = new Set<number>();

  constructor(
    private readonly toGuest: (type: number, session: number) => void,
    private readonly limit = OUTPUT_LIMIT,
  ) {}

  /** Output of guest `session` was just written to `sink`. */
  wrote(session: number, sink: OutputSink): void {
    if (sink.writableLength < this.limit || this.paused.has(session)) return;
    this.paused.add(session);
    this.toGuest(F.PAUSE, session);
    const go = () => {
      sink.off('drain', go);
      sink.off('close', go);
      if (this.paused.delete(session)) this.toGuest(F.RESUME, session);
    };
    sink.once('drain', go);
    sink.once('close', go);
  }

  /** The session ended: nothing to resume. */
  ended(session: number): void {
    this.paused.delete(session);
  }

  isPaused(session: number): boolean {
    return this.paused.has(session);
  }
}
