/**
 * Lifecycle checks (issue 20): what happens after odd sequences, on every backend. --rm is
 * honoured when the command exits, whoever is attached (the monitor removes, not the client).
 */
import assert from 'node:assert/strict';
import type { Runner } from '../helpers/berth-cli.js';
import { processesMentioning } from '../helpers/berth-cli.js';
import { type Check, assertNothingLeft, childOf, isVm, psJson, sleep } from './checks.js';

/** Until no environment is listed (bounded: a VM powers off first), then nothing may be left. */
async function assertRemovedSoon(r: Runner, b: string, what: string): Promise<void> {
  let left = await psJson(r);
  for (let end = Date.now() + (isVm(b) ? 120_000 : 30_000); Date.now() < end && left.length > 0; ) {
    await sleep(100);
    left = await psJson(r);
  }
  assert.deepEqual(
    left.map((e) => `${e.name} ${e.status.state}`),
    [],
    `${what}: the environment should be removed`,
  );
  await assertNothingLeft(r);
}

/** SIGKILL the berth CLI a runner spawned (under runuser: the node process below it). */
function killCli(r: Runner, child: { pid?: number | undefined; kill(sig: NodeJS.Signals): boolean }): void {
  const cli = r.mode === 'root' ? child.pid : childOf(child.pid!);
  if (cli) process.kill(cli, 'SIGKILL');
  for (const l of processesMentioning(r.root))
    if (l.includes('dist/berth.cjs') && / run /.test(l))
      try {
        process.kill(Number(l.split(' ')[0]), 'SIGKILL');
      } catch {
        /* gone */
      }
}

export const LIFECYCLE_CHECKS: Check[] = [
  {
    name: 'run --rm removes the environment when its command exits: detached, or with its CLI killed',
    async run(r, b) {
      const d = await r.run(['run', '-d', '--rm', '--backend', b, '--name', 'drm', '--', 'sh', '-c', 'exit 3']);
      assert.equal(d.code, 0, d.stderr);
      await assertRemovedSoon(r, b, 'run -d --rm');

      // Attached, and its CLI is SIGKILLed while the command runs: the command (containers) runs on
      // until it exits, a VM is taken down by its watchdog; either way the environment is removed.
      const fg = r.spawn([
        'run',
        '--rm',
        '--backend',
        b,
        '--name',
        'arm',
        '--',
        'sh',
        '-c',
        'echo ready; while [ ! -e /tmp/go ]; do sleep 1; done; exit 4',
      ]);
      let out = '';
      fg.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
      // 'exit', not 'close': the monitor of a container holds the CLI's stdout and runs on.
      const exited = new Promise((res) => fg.once('exit', res));
      for (let i = 0; i < 1200 && !out.includes('ready'); i++) await sleep(50);
      assert.match(out, /ready/);
      killCli(r, fg);
      await exited;
      // A VM has been stopped by now or soon; a container runs on until told to finish.
      await r.run(['exec', 'arm', 'touch', '/tmp/go']);
      await assertRemovedSoon(r, b, 'run --rm with its CLI killed');
    },
  },
];
