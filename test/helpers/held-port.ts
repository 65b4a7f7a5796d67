/**
 * A bridge network's published host port is held by the environment's monitor: a host program
 * started in the test's network namespace cannot bind it. busybox httpd fails its bind at once
 * ("Address already in use"); a port nobody holds would serve until the timeout ends it.
 */
import assert from 'node:assert/strict';
import type { TestNetns } from './netns.js';

export function assertPortHeld(ns: TestNetns, addr: string, port: number, docroot: string): void {
  const r = ns.sh(['busybox', 'timeout', '3', 'busybox', 'httpd', '-f', '-p', `${addr}:${port}`, '-h', docroot]);
  assert.equal(r.code, 1, `a host program bound ${addr}:${port}, which an environment publishes (exit ${r.code})`);
  assert.match(r.stderr, /Address already in use/);
}
