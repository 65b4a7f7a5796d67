/**
 * The CLI makes process.stdout and process.stderr only when it writes (ADR 0073): making one on a
 * pipe costs 1-5 ms of `run`'s start. The broken-pipe handler still goes on each stream it makes.
 * Run in a child process whose stdio are pipes, the streams not yet made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CLI = resolve(import.meta.dirname, '..', '..', '..', 'src', 'cli');

const SCRIPT = `
import { writeSync } from 'node:fs';
const made = [];
for (const name of ['stdout', 'stderr']) {
  const d = Object.getOwnPropertyDescriptor(process, name);
  Object.defineProperty(process, name, { ...d, get() { made.push(name); Object.defineProperty(process, name, d); return d.get.call(process); } });
}
const { exitQuietlyOnBrokenPipe } = await import(${JSON.stringify(pathToFileURL(join(CLI, 'broken-pipe.js')).href)});
const { terminalProgress } = await import(${JSON.stringify(pathToFileURL(join(CLI, 'progress-hook.js')).href)});
exitQuietlyOnBrokenPipe();
const progress = terminalProgress();
progress('resolving busybox');
progress.transfer({ id: 'a', label: 'layer', done: 1, total: 2 });
progress(null);
const before = [...made];
process.stderr.write('');
writeSync(1, JSON.stringify({ before, after: made, errorListeners: process.stderr.listenerCount('error') }));
`;

test('the broken-pipe handler and the progress hook off a terminal make no stdio stream; a stream made later gets the handler', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r = JSON.parse(out) as { before: string[]; after: string[]; errorListeners: number };
  assert.deepEqual(r.before, [], 'no stream made before a write');
  assert.deepEqual(r.after, ['stderr'], 'the write made stderr');
  assert.equal(r.errorListeners, 1, 'with the broken-pipe handler on it');
});
