/**
 * The image's config on every backend: ENTRYPOINT + CMD as Docker composes them (arguments replace
 * only CMD; --entrypoint replaces ENTRYPOINT and drops the image's CMD; '' clears it), and the
 * image's ENV, WORKDIR and USER for the command and for exec. Few runs: a VM boots for each.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Check } from './checks.js';
import { mountsMentioning, processesMentioning, storedEnvs, type Runner } from '../helpers/berth-cli.js';
import { oneLine125 } from '../helpers/one-line-error.js';
import { APP, imageConfigArchive } from '../helpers/image-config-archive.js';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
/** The first run imports the archive and (uml, microvm) builds its base disk. */
const SLOW = { timeoutMs: 600_000 };

function assertNothingLeft(r: Runner): void {
  assert.deepEqual(storedEnvs(r.root), [], 'no environment may remain');
  assert.deepEqual(processesMentioning(join(r.root, 'envs')), [], 'no process may remain');
  assert.deepEqual(mountsMentioning(join(r.root, 'envs')), [], 'no mount may remain');
}

const asApp = `${APP.foo}:${APP.uid}:${APP.gid}:${APP.workdir}`;

export const IMAGE_CONFIG_CHECKS: Check[] = [
  {
    name: 'image config: ENTRYPOINT + CMD with its ENV, WORKDIR and USER; arguments replace only CMD; exec is unaffected; inspect shows Path and Args',
    async run(r, b) {
      const img = await imageConfigArchive();
      const def = await r.run(['run', '--rm', '--backend', b, img], SLOW);
      assert.equal(def.stdout, `default:${asApp}\n`, def.stderr);
      assert.equal(def.code, 0, def.stderr);

      const script = 'echo over:$FOO:$(id -u):$(id -g):$(pwd); exec sleep 1000';
      const d = await r.run(['run', '-d', '--backend', b, '--name', 'epd', img, script], SLOW);
      assert.equal(d.code, 0, d.stderr);
      // Bounded by time, so a failure shows what the log holds rather than timing the test out.
      let logs = '';
      for (const end = Date.now() + 120_000; Date.now() < end && !logs.includes('\n'); ) {
        await sleep(100);
        logs = (await r.run(['logs', 'epd'])).stdout;
      }
      assert.equal(logs, `over:${asApp}\n`);
      // exec runs its own argv (no ENTRYPOINT in front) with the image's ENV, USER and WORKDIR.
      const ex = await r.run(['exec', 'epd', 'sh', '-c', 'echo exec:$FOO:$(id -u):$(id -g):$(pwd)']);
      assert.equal(ex.stdout, `exec:${asApp}\n`, ex.stderr);
      const i = await r.run(['inspect', 'epd']);
      assert.equal(i.code, 0, i.stderr);
      const [info] = JSON.parse(i.stdout) as { Path: string; Args: string[] }[];
      assert.equal(info?.Path, '/bin/sh');
      assert.deepEqual(info?.Args, ['-c', script]);
      assert.equal((await r.run(['rm', '-f', 'epd'])).code, 0);
      assertNothingLeft(r);
    },
  },
  {
    name: "image config: --entrypoint replaces ENTRYPOINT and drops the image's CMD; --entrypoint '' clears it; nothing to run is one line, exit 125",
    async run(r, b) {
      const img = await imageConfigArchive();
      // /bin/echo alone: the image's CMD is not appended (Docker), so it prints an empty line.
      const echo = await r.run(['run', '--rm', '--backend', b, '--entrypoint', '/bin/echo', img], SLOW);
      assert.equal(echo.stdout, '\n', echo.stderr);
      assert.equal(echo.code, 0, echo.stderr);
      const cleared = await r.run(
        [
          'run',
          '--rm',
          '--backend',
          b,
          '--entrypoint',
          '',
          img,
          'sh',
          '-c',
          'echo cleared:$FOO:$(id -u):$(id -g):$(pwd)',
        ],
        SLOW,
      );
      assert.equal(cleared.stdout, `cleared:${asApp}\n`, cleared.stderr);
      assert.equal(cleared.code, 0, cleared.stderr);
      const none = await r.run(['run', '--rm', '--backend', b, '--entrypoint=', img], SLOW);
      oneLine125(none, /no command to run.*--entrypoint ''/);
      assertNothingLeft(r);
    },
  },
];
