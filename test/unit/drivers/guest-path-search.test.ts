/**
 * The guest init's PATH search (native/init/path_search.c), driven through
 * native/build/tests/path-search: it finds what execvp would run, by stat and access instead of
 * a failed execve per directory (ADR 0081), and leaves every other case to execvp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeTestProgram } from '../../helpers/native-test-program.js';

test('the guest init: a command name is found in PATH as execvp would', () => {
  const C_PROGRAM = nativeTestProgram('path-search');
  const dir = mkdtempSync(join(tmpdir(), 'berth-path-search-'));
  try {
    const d = (name: string) => {
      const p = join(dir, name);
      mkdirSync(p, { recursive: true });
      return p;
    };
    const file = (path: string, mode: number) => {
      writeFileSync(path, '#!/bin/sh\n');
      chmodSync(path, mode);
    };
    // A directory named cmd, then a cmd no one may run, then the one that runs.
    mkdirSync(join(d('a'), 'cmd'));
    file(join(d('b'), 'cmd'), 0o644);
    file(join(d('c'), 'cmd'), 0o755);
    file(join(d('d'), 'cmd'), 0o755);
    file(join(d('here'), 'cmd'), 0o755);
    const find = (name: string, path: string, cwd = dir) => {
      const r = spawnSync(C_PROGRAM, [name, path], { encoding: 'utf8', cwd });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    const all = ['a', 'b', 'c', 'd'].map((x) => join(dir, x)).join(':');
    assert.equal(find('cmd', all), join(dir, 'c', 'cmd'), 'the first runnable regular file wins');
    assert.equal(find('cmd', `${join(dir, 'missing')}:${join(dir, 'd')}`), join(dir, 'd', 'cmd'));
    assert.equal(find('nothing', all), '(none)', 'not found: execvp decides (ENOENT)');
    assert.equal(find('cmd', join(dir, 'b')), '(none)', 'found but not runnable: execvp decides (EACCES)');
    assert.equal(find('./cmd', all), '(none)', 'a name with a slash is not searched');
    assert.equal(find('', all), '(none)');
    assert.equal(
      find('cmd', `:${join(dir, 'd')}`, join(dir, 'here')),
      './cmd',
      'an empty entry is the current directory',
    );
    assert.equal(find('cmd', `${join(dir, 'a')}:`, join(dir, 'here')), './cmd', 'a trailing empty entry too');
    assert.equal(find('sh', '-'), '/bin/sh', 'PATH unset: /bin:/usr/bin, as glibc');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
