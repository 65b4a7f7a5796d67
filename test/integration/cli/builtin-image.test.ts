/**
 * `tag busybox` and `rmi busybox` name the builtin image as what it is (issue 20.10: they said "no
 * such image: builtin:busybox"): one line, exit 125, a fix. As root and as the test user.
 */
import { test } from 'node:test';
import { makeRunner, type Mode } from '../../helpers/berth-cli.js';
import { oneLine125 } from '../../helpers/one-line-error.js';

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`tag and rmi of the builtin busybox say it is built in (${mode})`, { timeout: 60_000 }, async () => {
    const r = makeRunner(mode);
    try {
      oneLine125(
        await r.run(['tag', 'busybox', 'mine:1']),
        /busybox is berth's builtin image, not a stored one: it cannot be tagged \(commit an environment of it/,
      );
      oneLine125(
        await r.run(['rmi', 'busybox']),
        /busybox is berth's builtin image, not a stored one: it cannot be removed \(nothing to remove/,
      );
    } finally {
      r.cleanup();
    }
  });
}
