/**
 * Argument shapes that broke the CLI (issue 17 item 1): a repeatable option swallowed the
 * positional after it, a flag given twice became an array, a missing argument still ran the
 * verb, a yargs complaint was an "internal error", a huge -xVALUE word hung the parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { makeRunner, type Mode } from '../../helpers/berth-cli.js';
import { oneLine125 } from '../../helpers/one-line-error.js';

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`argument shapes (${mode})`, { timeout: 120_000 }, async () => {
    const r = makeRunner(mode);
    try {
      // The REF after a repeatable option stays the REF (127.0.0.1:1 is a closed port).
      const pull = await r.run(['pull', '--insecure-registry', '127.0.0.1:1', '127.0.0.1:1/berth/x:1']);
      oneLine125(pull, /cannot reach registry 127\.0\.0\.1:1/);
      const twice = await r.run([
        'pull',
        '--insecure-registry',
        'a.invalid',
        '--insecure-registry',
        '127.0.0.1:1',
        '127.0.0.1:1/berth/x:1',
      ]);
      oneLine125(twice, /cannot reach registry 127\.0\.0\.1:1 \(http:/);
      const disk = await r.run(['disk', '--insecure-registry', 'h', 'tar:/nonexistent/berth.tar']);
      oneLine125(disk, /\/nonexistent\/berth\.tar does not exist/);
      const login = await r.run(
        ['login', '--insecure-registry', '127.0.0.1:1', '-u', 'u', '--password-stdin', '127.0.0.1:1'],
        { input: 'pw\n' },
      );
      oneLine125(login, /127\.0\.0\.1:1/);
      // A single-valued flag given twice: the last wins.
      oneLine125(
        await r.run(['logs', '--tail', '1', '--tail', '2', 'no-such-env']),
        /no such environment: no-such-env/,
      );
      oneLine125(await r.run(['stop', '-t', '1', '--time', '2', 'no-such-env']), /no such environment: no-such-env/);
      oneLine125(await r.run(['logs', '--since', '1s', '--since', 'bad', 'no-such-env']), /invalid --since "bad"/);
      // A missing positional is a usage error, and the verb does not run.
      const inspect = await r.run(['inspect']);
      oneLine125(inspect, /not enough non-option arguments/i);
      assert.equal(inspect.stdout, '');
      oneLine125(await r.run(['tag', 'busybox']), /not enough non-option arguments/i);
      oneLine125(await r.run(['save', '-o']), /not enough/i);
      // A missing option value is a usage error, not an internal one.
      oneLine125(await r.run(['login', '--username']), /not enough/i);
      oneLine125(await r.run(['matrix', '--jobs']), /not enough arguments following: jobs/i);
      // 100,000 characters in one -xVALUE word: refused at once, not parsed for minutes.
      oneLine125(await r.run(['load', `-i${'x'.repeat(100_000)}`]), /too long \(100002 characters\)/);
      // serve makes the socket's own directory, never a chain of missing parents.
      oneLine125(
        await r.run(['serve', '--socket', '/nonexistent/berth/docker.sock']),
        /--socket: \/nonexistent does not exist \(create it first/,
      );
      assert.equal(existsSync('/nonexistent'), false);
      // help and version still work
      const help = await r.run(['ps', '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /berth ps/);
      assert.equal((await r.run(['--version'])).code, 0);
    } finally {
      r.cleanup();
    }
  });
}
