/**
 * waitUntil's verdict: a strategy that fails because the environment's command ended says that it
 * exited (with its code), not that it "gave up after N ms"; a real deadline still says gave up.
 * The Waitable here is a fake: this is the pure decision, the integration test runs the real thing
 * (test/integration/api/ergonomics.test.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil, type Waitable, type WaitStrategy } from '../../../src/api/wait-for.js';
import { DriverError } from '../../../src/core/errors.js';
import type { Status } from '../../../src/core/env-status.js';

function env(status: Status): Waitable {
  return {
    name: 'web',
    exec: () => Promise.reject(new Error('not running')),
    logs: async function* () {},
    status: () => status,
  };
}

const endsAtOnce: WaitStrategy = {
  description: 'a log line matching /ready/',
  until: () => Promise.reject(new Error('0 log lines seen, none matched')),
};

const neverEnds: WaitStrategy = {
  description: 'something',
  until: (_e, signal) =>
    new Promise((_r, reject) => signal.addEventListener('abort', () => reject(new Error('still waiting')))),
};

describe('waitUntil', () => {
  it('says the command exited, with its code, when it ended', async () => {
    await assert.rejects(
      waitUntil(env({ state: 'exited', exit: { exitCode: 3 } }), endsAtOnce, 15_000),
      (e: unknown) =>
        e instanceof DriverError &&
        e.code === 'exited-while-waiting' &&
        /web: the command exited with code 3 while waiting for a log line matching/.test(e.message) &&
        !/gave up/.test(e.message),
    );
  });
  it('names the signal of a killed command', async () => {
    await assert.rejects(
      waitUntil(env({ state: 'exited', exit: { exitCode: 137, signal: 'SIGKILL' } }), endsAtOnce, 15_000),
      /was killed by SIGKILL \(exit code 137\)/,
    );
  });
  it('waits for the record to catch up when the strategy fails before the exit is recorded (CI race)', async () => {
    // exec already sees "not running" while the state record still says running for a moment.
    let calls = 0;
    const racing: Waitable = {
      ...env({ state: 'running' }),
      status: () => (++calls < 4 ? { state: 'running' } : { state: 'exited', exit: { exitCode: 3 } }),
    };
    await assert.rejects(
      waitUntil(racing, endsAtOnce, 15_000),
      (e: unknown) =>
        e instanceof DriverError && e.code === 'exited-while-waiting' && /exited with code 3/.test(e.message),
    );
  });
  it('a strategy that fails early on a running environment does not claim the deadline passed', async () => {
    await assert.rejects(
      waitUntil(env({ state: 'running' }), endsAtOnce, 15_000),
      (e: unknown) =>
        e instanceof DriverError &&
        e.code === 'wait-failed' &&
        /stopped waiting for a log line matching \/ready\/ after \d+ ms/.test(e.message) &&
        !/gave up/.test(e.message),
    );
  });
  it('still says it gave up when the deadline passes on a running environment', async () => {
    await assert.rejects(
      waitUntil(env({ state: 'running' }), neverEnds, 50),
      (e: unknown) => e instanceof DriverError && e.code === 'wait-timeout' && /gave up after 50 ms/.test(e.message),
    );
  });
});
