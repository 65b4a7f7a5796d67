import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nativeCandidates, notBuilt, packageRoot, SHIPPED_FOR } from '../../../src/host/native-paths.js';

test('the helpers are looked up in the package: a local build first, then the shipped prebuilt one', () => {
  assert.deepEqual(nativeCandidates('/p', 'berth-shim', 'linux-x64'), [
    '/p/native/bin/berth-shim',
    '/p/native/prebuilt/linux-x64/berth-shim',
  ]);
  assert.deepEqual(nativeCandidates('/p', 'berth-guest-init', 'linux-arm64'), [
    '/p/native/bin/berth-guest-init',
    '/p/native/prebuilt/linux-arm64/berth-guest-init',
  ]);
});

test('the package root is the directory with package.json above the compiled module', () => {
  assert.ok(existsSync(join(packageRoot(), 'package.json')));
  assert.ok(existsSync(join(packageRoot(), 'native', 'Makefile')));
});

test('a missing helper on another architecture names the arch, what to install and what to run', () => {
  assert.equal(SHIPPED_FOR, 'linux-x64');
  const e = notBuilt('berth-shim', '/srv/app/node_modules/berth', 'linux-arm64');
  assert.match(e.message, /berth-shim is not built for linux-arm64 \(the package ships linux-x64 helpers only\)/);
  assert.match(e.fix, /gcc, make and static glibc \(Debian: apt-get install gcc make libc6-dev\)/);
  assert.match(e.fix, /make -C \/srv\/app\/node_modules\/berth\/native/);
  assert.ok(!e.message.includes('\n') && !e.fix.includes('\n'));
});

test('a missing helper on the shipped architecture (an unbuilt checkout) says how to build it', () => {
  const e = notBuilt('berth-guest-init', '/src/berth', 'linux-x64');
  assert.equal(e.message, 'the native helper berth-guest-init is not built');
  assert.match(e.fix, /npm install.*make -C \/src\/berth\/native.*libc6-dev/);
});
