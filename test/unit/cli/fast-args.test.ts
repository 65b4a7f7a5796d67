import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFastArgs } from '../../../src/cli/fast-args.js';
import { RUN_OPTIONS, EXEC_OPTIONS } from '../../../src/cli/options/run-options.js';

const run = (argv: string[]) => parseFastArgs(argv, RUN_OPTIONS, { min: 0, max: 1 });

test('options stop at the image; the rest is the command with its own flags', () => {
  const p = run(['--backend', 'chroot', '-e', 'A=1', 'busybox', 'sh', '-c', 'echo -e hi']);
  assert.deepEqual(p.positionals, ['busybox']);
  assert.deepEqual(p.command, ['sh', '-c', 'echo -e hi']);
  assert.deepEqual(p.options, { backend: 'chroot', env: ['A=1'] });
});

test('-- with no image means the default image', () => {
  const p = run(['--rm', '--', 'uname', '-a']);
  assert.deepEqual(p.positionals, []);
  assert.deepEqual(p.command, ['uname', '-a']);
  assert.equal(p.dashDash, true);
  assert.equal(p.options.rm, true);
});

test('image then -- then command', () => {
  const p = run(['busybox', '--', 'ls', '-l']);
  assert.deepEqual(p.positionals, ['busybox']);
  assert.deepEqual(p.command, ['ls', '-l']);
});

test('grouped short flags and attached values', () => {
  const p = run(['-it', '-eFOO=bar', '-v/a:/b:ro', '--name=x']);
  assert.deepEqual(p.options, { interactive: true, tty: true, env: ['FOO=bar'], volume: ['/a:/b:ro'], name: 'x' });
});

test('unknown options, missing values and bad choices are one-line errors', () => {
  assert.throws(() => run(['--nope']), /unknown option --nope/);
  assert.throws(() => run(['-Z']), /unknown option -Z/);
  assert.throws(() => run(['--memory']), /--memory needs a value/);
  assert.throws(() => run(['--backend', 'vmware']), /invalid --backend "vmware"/);
  assert.throws(() => run(['--rm=yes']), /takes no value/);
});

test('exec needs its environment before the command', () => {
  const p = parseFastArgs(['-u', '0', 'web', 'ls', '-la'], EXEC_OPTIONS, { min: 1, max: 1 });
  assert.deepEqual(p.positionals, ['web']);
  assert.deepEqual(p.command, ['ls', '-la']);
  assert.throws(() => parseFastArgs(['-t'], EXEC_OPTIONS, { min: 1, max: 1 }), /missing argument/);
});
