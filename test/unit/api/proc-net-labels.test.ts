import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listeningPorts } from '../../../src/api/proc-net.js';
import { parseLabelSelector, matchesLabel } from '../../../src/api/labels.js';

test('listening ports come from LISTEN (0A) rows of /proc/net/tcp and tcp6', () => {
  const text = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:0050 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1
  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 3`;
  assert.deepEqual(
    [...listeningPorts(text)].sort((a, b) => a - b),
    [22, 8080],
  );
  assert.equal(listeningPorts('').size, 0);
});

test('label selectors: KEY and KEY=VALUE', () => {
  assert.deepEqual(parseLabelSelector('a'), { key: 'a' });
  assert.deepEqual(parseLabelSelector('a=b=c'), { key: 'a', value: 'b=c' });
  assert.throws(() => parseLabelSelector('=x'), /bad label selector/);
  assert.equal(matchesLabel({ a: '1' }, { key: 'a' }), true);
  assert.equal(matchesLabel({ a: '1' }, { key: 'a', value: '2' }), false);
  assert.equal(matchesLabel(undefined, { key: 'a' }), false);
});
