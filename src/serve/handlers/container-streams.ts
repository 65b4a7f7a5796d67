/** A container's output as a stream: `attach` (hijacked or not) and `logs`. */
import type { Readable, Writable } from 'node:stream';
import * as berth from '../../index.js';
import { badRequest } from '../errors.js';
import { outputWriter, type StreamId } from '../frames.js';
import { writeOrWait } from '../../core/write-or-wait.js';
import { flag, type Route } from '../route.js';
import { findContainer } from './containers.js';
import { attachInput, detachKeysOf } from '../attach-input.js';
import { sizeOf } from '../terminal-query.js';

const RAW = 'application/vnd.docker.raw-stream';
const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';

/** Docker's `since`: Unix seconds, with an optional fraction; 0 = no limit. */
export function sinceOf(v: string | null): Date | undefined {
  if (!v) return undefined;
  const secs = Number(v);
  if (!Number.isFinite(secs)) throw badRequest(`invalid since "${v}": give Unix seconds`);
  return secs > 0 ? new Date(secs * 1000) : undefined;
}

function tailOf(v: string | null): number | undefined {
  if (v === null || v === '' || v === 'all') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid tail "${v}": give a number of lines or all`);
  return n;
}

/** Copies log records to OUT until they end (or the client goes); then ends OUT. */
async function pump(
  out: Writable,
  records: AsyncGenerator<berth.LogRecord>,
  opts: { tty: boolean; stdout: boolean; stderr: boolean; timestamps: boolean },
): Promise<void> {
  // At the client's pace: the log is read on only as the client takes it.
  const write = outputWriter((b) => writeOrWait(out, b), opts.tty);
  for await (const r of records) {
    const stream = r.stream as StreamId;
    if ((stream === 'stdout' && !opts.stdout) || (stream === 'stderr' && !opts.stderr)) continue;
    const line = r.partial ? r.data : Buffer.concat([r.data, Buffer.from('\n')]);
    await write(stream, opts.timestamps ? Buffer.concat([Buffer.from(`${r.time} `), line]) : line);
  }
  out.end();
}

const attach: Route = {
  method: 'POST',
  pattern: /^\/containers\/([^/]+)\/attach$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const { record, status } = findContainer(ref!, state);
    const tty = record.spec.tty;
    const keys = detachKeysOf(x.query.get('detachKeys'));
    // Whatever the client sent with the headers is its first stdin.
    await x.body();
    const closed = new AbortController();
    x.onClose(() => closed.abort());
    const out = x.stream(200, tty ? RAW : MULTIPLEXED);
    if (!flag(x.query, 'stream', true) && !flag(x.query, 'logs')) return void out.end();
    // Attached before start (docker run): everything it writes; else from now on unless logs=1.
    let fromStart = flag(x.query, 'logs');
    if (status.state === 'created') {
      fromStart = true;
      await state.next('start', record.id, closed.signal);
    }
    if (closed.signal.aborted) return;
    // The detach keys end the attach (the log follow, then the reply); the command runs on. The
    // end of the client's input ends it too with a TTY (as Docker's): a client that goes away
    // while an idle shell writes nothing is noticed. Without one it is EOF for the command.
    if (flag(x.query, 'stdin') && x.input)
      await relayStdin(
        record.id,
        x.input,
        keys,
        () => closed.abort(),
        () => tty && closed.abort(),
      );
    await pump(
      out,
      berth.logs(record.id, {
        follow: flag(x.query, 'stream', true),
        signal: closed.signal,
        ...(fromStart ? {} : { tail: 0 }),
      }),
      { tty, stdout: flag(x.query, 'stdout'), stderr: flag(x.query, 'stderr'), timestamps: false },
    );
  },
};

/** The client's stdin to a -i container's command; nothing when it takes none (as Docker drops it). */
async function relayStdin(
  id: string,
  client: Readable,
  keys: number[],
  onDetach: () => void,
  onEnd: () => void,
): Promise<void> {
  let sink: Writable;
  try {
    sink = await berth.openStdin(id);
  } catch {
    return void attachInput(client, keys, onDetach, onEnd).resume();
  }
  // Detached: the stdin is let go (a terminal stays for the next attach; without one it is EOF).
  attachInput(
    client,
    keys,
    () => {
      sink.end();
      onDetach();
    },
    onEnd,
  ).pipe(sink);
}

/**
 * The client's terminal size (`h` rows, `w` columns) for the command's terminal, on every backend
 * (a failed resize is answered all the same: clients report it and go on).
 */
const resize: Route = {
  method: 'POST',
  pattern: /^\/containers\/([^/]+)\/resize$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const { record, status } = findContainer(ref!, state);
    const size = sizeOf(x.query);
    if (size && record.spec.tty && status.state === 'running')
      await berth.resize(record.id, size).catch(() => undefined);
    x.empty(200);
  },
};

const logs: Route = {
  method: 'GET',
  pattern: /^\/containers\/([^/]+)\/logs$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const { record } = findContainer(ref!, state);
    const q = x.query;
    if (!flag(q, 'stdout') && !flag(q, 'stderr'))
      throw badRequest('you must choose at least one stream: stdout=1 or stderr=1');
    const tty = record.spec.tty;
    const closed = new AbortController();
    x.onClose(() => closed.abort());
    const tail = tailOf(q.get('tail'));
    const since = sinceOf(q.get('since'));
    const out = x.stream(200, tty ? RAW : MULTIPLEXED);
    await pump(
      out,
      berth.logs(record.id, {
        follow: flag(q, 'follow'),
        signal: closed.signal,
        ...(tail !== undefined ? { tail } : {}),
        ...(since ? { since } : {}),
      }),
      { tty, stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr'), timestamps: flag(q, 'timestamps') },
    );
  },
};

export const streamRoutes: Route[] = [attach, logs, resize];
