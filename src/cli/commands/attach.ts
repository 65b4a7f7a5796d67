/**
 * `berth attach ENV`: follow a running environment's stdout and stderr from now until it exits,
 * type into its command (an environment made with -i; `--no-stdin`: not), and exit with its
 * status. The detach keys, typed, leave the command running. A command with a terminal (-t) gets
 * what a terminal of ours types raw, Ctrl-C included; otherwise Ctrl-C (and SIGINT/SIGTERM to
 * berth) is sent on as a signal with --sig-proxy.
 */
import type { Writable } from 'node:stream';
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

const CTRL_C = 0x03;

function write(out: NodeJS.WriteStream, b: Buffer): Promise<void> | undefined {
  return out.write(b) ? undefined : new Promise((res) => out.once('drain', res));
}

export const attachCommand: CommandModule<
  object,
  { env: string; 'detach-keys': string; 'sig-proxy': boolean; stdin: boolean }
> = {
  command: 'attach <env>',
  describe: "Follow a running environment's output until it exits, typing into its command if made with -i",
  builder: (y) =>
    y
      .positional('env', { type: 'string', describe: 'id, id prefix or name' })
      .option('stdin', {
        type: 'boolean',
        default: true,
        describe: 'pass stdin on to the command of an environment made with -i (--no-stdin: do not)',
      })
      .option('detach-keys', {
        type: 'string',
        default: berth.DEFAULT_DETACH_KEYS,
        describe: 'keys that detach, leaving it running ("" for none)',
      })
      .option('sig-proxy', {
        type: 'boolean',
        default: true,
        describe: 'send Ctrl-C, SIGINT and SIGTERM to the command (--no-sig-proxy: just detach)',
      }) as never,
  handler: async (a) => {
    const keys = berth.parseDetachKeys(String(a['detach-keys']));
    const ref = String(a.env);
    const { record, status } = berth.inspect(ref);
    if (status.state !== 'running')
      throw new berth.SpecError('not-running', `cannot attach to ${record.name}: it is ${status.state}`, {
        fix: `start it first: berth ${status.state === 'created' ? 'start' : 'restart'} ${record.name}`,
      });
    const following = new AbortController();
    let detached = false;
    const detach = () => {
      detached = true;
      following.abort();
    };
    const proxy = (sig: string) => () => {
      if (a['sig-proxy']) void berth.kill(record.id, sig).catch(() => undefined);
      else detach();
    };
    const onInt = proxy('INT');
    const onTerm = proxy('TERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    // From now on: the first step of the follow finds the log's end before anything is typed.
    const batches = berth.logBatches(record.id, { follow: true, tail: 0, signal: following.signal });
    const first = batches.next();
    const stdin = process.stdin;
    // The command's stdin: the environment's own channel (every backend), opened before following.
    const sink: Writable | undefined =
      a.stdin && record.spec.interactive ? await berth.openStdin(record.id) : undefined;
    const typed = berth.detachMatcher(keys);
    const onData = (b: Buffer) => {
      if (typed(b)) return detach();
      if (sink) {
        if (!sink.write(b)) {
          stdin.pause();
          sink.once('drain', () => stdin.resume());
        }
      } else if (b.includes(CTRL_C)) onInt();
    };
    const onEnd = () => sink?.end();
    // Raw mode only on a terminal, and when the command has a terminal too (or gets no input): the
    // detach keys and Ctrl-C arrive as bytes. Typing into a command without one, the lines stay
    // cooked and Ctrl-C is a SIGINT to berth (sent on with --sig-proxy).
    const raw = stdin.isTTY === true && (!sink || record.spec.tty);
    if (raw) stdin.setRawMode(true);
    if (raw || sink) {
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      stdin.resume();
    }
    try {
      for (let b = await first; !b.done; b = await batches.next())
        for (const r of b.value)
          await write(r.stream === 'stderr' ? process.stderr : process.stdout, berth.recordBytes(r));
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      // Detached or over: the stdin is let go (a terminal stays for the next attach; without one it is EOF).
      sink?.end();
    }
    if (detached) {
      process.stderr.write(`berth: detached from ${record.name}; it keeps running\n`);
      return;
    }
    process.exitCode = (await berth.wait(record.id)).exitCode;
  },
};
