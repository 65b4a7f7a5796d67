import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePortSpec, parsePortSpecs, portsClash, formatPort } from '../../../src/network/port-spec.js';
import { dockerPortBindings, formatPublished } from '../../../src/core/port-format.js';

test('HOST:GUEST defaults to tcp on every address', () => {
  assert.deepEqual(parsePortSpec('8080:80'), { hostPort: 8080, guestPort: 80, protocol: 'tcp' });
});

test('IP:HOST:GUEST/udp', () => {
  assert.deepEqual(parsePortSpec('127.0.0.1:5353:53/udp'), {
    hostIp: '127.0.0.1',
    hostPort: 5353,
    guestPort: 53,
    protocol: 'udp',
  });
  assert.equal(formatPort(parsePortSpec('127.0.0.1:5353:53/udp')), '127.0.0.1:5353:53/udp');
  assert.equal(formatPort(parsePortSpec('1:2/tcp')), '1:2/tcp');
});

test('-p 80, -p 0:80, -p IP::80: host port 0, a free one picked at creation (Docker semantics)', () => {
  assert.deepEqual(parsePortSpec('80'), { hostPort: 0, guestPort: 80, protocol: 'tcp' });
  assert.deepEqual(parsePortSpec('0:80'), { hostPort: 0, guestPort: 80, protocol: 'tcp' });
  assert.deepEqual(parsePortSpec('53/udp'), { hostPort: 0, guestPort: 53, protocol: 'udp' });
  assert.deepEqual(parsePortSpec('127.0.0.1::80'), {
    hostIp: '127.0.0.1',
    hostPort: 0,
    guestPort: 80,
    protocol: 'tcp',
  });
  // Two of them never clash: each gets a port of its own.
  assert.equal(parsePortSpecs(['80', '0:80', '81']).length, 3);
});

test('bad specs are refused with a message naming the part', () => {
  const bad: [string, RegExp][] = [
    ['0', /guest port 0 is out of range/],
    ['80:', /guest port "" is not a number/],
    ['a:80', /host port "a" is not a number/],
    ['8080:0', /guest port 0 is out of range/],
    ['99999:80', /host port 99999 is out of range/],
    ['8080:80/sctp', /protocol "sctp"/],
    ['300.1.1.1:80:80', /not an IPv4 address/],
    ['1:2:3:4', /expected \[IP:\]\[HOST:\]GUEST/],
    ['', /expected \[IP:\]\[HOST:\]GUEST/],
    ['/tcp', /expected \[IP:\]\[HOST:\]GUEST/],
    ['-1:80', /not a number/],
  ];
  for (const [spec, re] of bad) {
    assert.throws(
      () => parsePortSpec(spec),
      (e: Error & { code?: string; fix?: string }) =>
        re.test(e.message) && e.code === 'bad-port' && /-p \[IP:\]\[HOST:\]GUEST/.test(e.fix ?? ''),
      spec,
    );
  }
});

test('the same host port twice is refused; different protocols or addresses are not', () => {
  assert.throws(() => parsePortSpecs(['8080:80', '127.0.0.1:8080:81']), /same host port/);
  assert.equal(parsePortSpecs(['8080:80', '8080:80/udp']).length, 2);
  assert.equal(parsePortSpecs(['127.0.0.1:8080:80', '127.0.0.2:8080:80']).length, 2);
  assert.equal(portsClash(parsePortSpec('8080:1'), parsePortSpec('127.0.0.1:8080:2')), true);
});

test('library specs with impossible ports are refused before anything starts', async () => {
  const { validateSpec } = await import('../../../src/core/spec-validate.js');
  const { defaultSpec } = await import('../../../src/core/spec.js');
  assert.throws(
    () => validateSpec(defaultSpec({ ports: [{ hostPort: -1, guestPort: 80, protocol: 'tcp' }] })),
    /invalid published port/,
  );
  assert.throws(
    () => validateSpec(defaultSpec({ ports: [{ hostPort: 80, guestPort: 0, protocol: 'tcp' }] })),
    /invalid published port/,
  );
  validateSpec(defaultSpec({ ports: [{ hostPort: 0, guestPort: 80, protocol: 'tcp' }] }));
  assert.throws(
    () => validateSpec(defaultSpec({ ports: [{ hostPort: 80, guestPort: 80, protocol: 'sctp' as 'tcp' }] })),
    /invalid published port/,
  );
  validateSpec(defaultSpec({ ports: [parsePortSpec('8080:80')] }));
});

test('Docker shapes of published ports: ps PORTS text and NetworkSettings.Ports', () => {
  const ports = parsePortSpecs(['127.0.0.1:8080:80', '5353:53/udp', '9090:80']);
  assert.deepEqual(ports.map(formatPublished), [
    '127.0.0.1:8080->80/tcp',
    '0.0.0.0:5353->53/udp',
    '0.0.0.0:9090->80/tcp',
  ]);
  assert.deepEqual(dockerPortBindings(ports, ['443', '53/udp']), {
    '443/tcp': null,
    '80/tcp': [
      { HostIp: '127.0.0.1', HostPort: '8080' },
      { HostIp: '0.0.0.0', HostPort: '9090' },
    ],
    '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }],
  });
});
