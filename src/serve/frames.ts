/**
 * Docker's multiplexed stream (no TTY): each chunk is an 8-byte header (stream: 0 stdin, 1 stdout,
 * 2 stderr; three zero bytes; the payload length, big-endian uint32) and the payload.
 */
export type StreamId = 'stdout' | 'stderr';

const IDS: Record<StreamId, number> = { stdout: 1, stderr: 2 };

export function frame(stream: StreamId, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = IDS[stream];
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** The inverse, for tests and for reading a client's framed input: whole frames and the bytes left over. */
export function unframe(buf: Buffer): { frames: { stream: number; payload: Buffer }[]; rest: Buffer } {
  const frames: { stream: number; payload: Buffer }[] = [];
  let at = 0;
  while (buf.length - at >= 8) {
    const size = buf.readUInt32BE(at + 4);
    if (buf.length - at - 8 < size) break;
    frames.push({ stream: buf[at]!, payload: buf.subarray(at + 8, at + 8 + size) });
    at += 8 + size;
  }
  return { frames, rest: buf.subarray(at) };
}

/**
 * Writes a command's output to a reply: framed, or raw when the container has a TTY. What WRITE
 * returns comes back: a promise while the reply's buffer is full (write-or-wait.ts).
 */
export function outputWriter(
  write: (b: Buffer) => Promise<void> | undefined,
  tty: boolean,
): (stream: StreamId, data: Buffer) => Promise<void> | undefined {
  return (stream, data) => {
    if (data.length === 0) return undefined;
    return write(tty ? data : frame(stream, data));
  };
}
