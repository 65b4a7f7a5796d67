/**
 * `berth attach ENV`: follow a running environment's stdout and stderr from now until it exits,
 * and exit with its status. berth keeps no stdin channel to a running command, so what is typed
 * is not passed on: on a terminal it is read only for the detach keys, and with --sig-proxy
 * Ctrl-C (or SIGINT/SIGTERM to berth) is sent to the command as a signal.
 */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

const CTRL_C = 0x03;

function write(out: NodeJS.WriteStream, b: Buffer): Promise<void> | undefined {
  return out.write(b) ? undefined : new Promise((res) => out.once('drain', res));
}

export const attachCommand: CommandModule<object, { env: string; 'detach-keys': string; 'sig-proxy': boolean }> = {
  command: 'attach <env>',
  describe: "Follow a running environment's output until it exits (stdin is not passed on)",
  builder: (y) =>
    y
      .positional('env', { type: 'string', describe: 'id, id prefix or name' })
      .option('detach-keys', {
        type: 'string',
        default: berth.DEFAULT_DETACH_KEYS,
        describe: 'keys that detach, leaving it running (on a terminal; "" for none)',
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
    const stdin = process.stdin;
    const typed = berth.detachMatcher(keys);
    const onData = (b: Buffer) => {
      if (typed(b)) detach();
      else if (b.includes(CTRL_C)) onInt();
    };
    // Raw mode only on a terminal: the detach keys and Ctrl-C arrive as bytes.
    const raw = stdin.isTTY === true;
    if (raw) {
      stdin.setRawMode(true);
      stdin.on('data', onData);
      stdin.resume();
    }
    try {
      for await (const batch of berth.logBatches(record.id, { follow: true, tail: 0, signal: following.signal }))
        for (const r of batch) {
          await write(r.stream === 'stderr' ? process.stderr : process.stdout, berth.recordBytes(r));
        }
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (raw) {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
      }
    }
    if (detached) {
      process.stderr.write(`berth: detached from ${record.name}; it keeps running\n`);
      return;
    }
    process.exitCode = (await berth.wait(record.id)).exitCode;
  },
};
