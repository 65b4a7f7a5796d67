/**
 * Host -> guest flow control on a VM's control channel, in one of two modes (VmLaunch.ctl.flow).
 *
 * `acked`: the channel ends in a guest tty; when its 4 KiB input buffer fills, the tty throttles
 * the line, and a uml serial line that was throttled is never read again (measured: after an
 * exec -i of 6000 bytes the guest took no further frame; 3000 bytes were fine). So at most WINDOW
 * bytes are in flight: written here but not yet reported read by the init's ACK frames. Frames
 * may be cut anywhere (the guest reads a byte stream). The init acknowledges in steps of 1024
 * bytes (each ACK is a console write, slow under TCG), which must stay below the window.
 *
 * `stream` (window Infinity): the channel has flow control of its own (microvm's virtio-serial
 * port); only the host socket's own backpressure holds bytes back here.
 *
 * In both modes a `write` that returns false (the socket's buffer is full) stops the pump until
 * `drained` is called (the socket's 'drain'). Pure apart from the `write` it is given.
 */
export const GUEST_WINDOW = 3072;

interface Queued {
  b: Buffer;
  /** The guest session the frame is for (drop() may remove it); absent: keep. */
  session?: number;
}

export class GuestFlow {
  private readonly queue: Queued[] = [];
  /** The head of the queue was partly written: the rest must follow (frames may be cut, not lost). */
  private headStarted = false;
  private queued = 0;
  private inFlight = 0;
  private blocked = false;
  private readonly waiters: { below: number; cb: () => void }[] = [];

  constructor(
    private readonly write: (b: Buffer) => unknown,
    private readonly window = GUEST_WINDOW,
  ) {}

  /** Queue a whole frame; `session`: input of that guest session, which drop() may take back. */
  send(b: Buffer, session?: number): void {
    if (b.length > 0) {
      this.queue.push(session === undefined ? { b } : { b, session });
      this.queued += b.length;
    }
    this.pump();
  }

  /** A session's input that is still queued will never be wanted (its client is gone): forget it. */
  drop(session: number): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]!.session !== session || (i === 0 && this.headStarted)) continue;
      this.queued -= this.queue[i]!.b.length;
      this.queue.splice(i, 1);
    }
    this.notify();
  }

  /** The init read `n` bytes of the channel. */
  acked(n: number): void {
    this.inFlight = Math.max(0, this.inFlight - n);
    this.pump();
    this.notify();
  }

  /** The channel's socket took what it held: write on. */
  drained(): void {
    this.blocked = false;
    this.pump();
    this.notify();
  }

  /** Bytes waiting for room in the window or in the socket. */
  get pending(): number {
    return this.queued;
  }

  /** Calls `cb` once fewer than `below` bytes wait (at once if that is so now). */
  whenPendingBelow(below: number, cb: () => void): void {
    if (this.queued < below) cb();
    else this.waiters.push({ below, cb });
  }

  private notify(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (this.queued < w.below) {
        this.waiters.splice(i, 1);
        w.cb();
      }
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.window && !this.blocked) {
      const head = this.queue[0]!;
      const room = this.window - this.inFlight;
      const part = head.b.length <= room ? head.b : head.b.subarray(0, room);
      this.headStarted = part !== head.b;
      if (part === head.b) this.queue.shift();
      else head.b = head.b.subarray(room);
      this.queued -= part.length;
      if (this.window !== Number.POSITIVE_INFINITY) this.inFlight += part.length;
      if (this.write(part) === false) this.blocked = true;
    }
  }
}
