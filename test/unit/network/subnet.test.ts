import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseIpv4,
  formatIpv4,
  parseSubnet,
  formatSubnet,
  overlaps,
  firstFree,
  gatewayOf,
  pickSubnet,
  contains,
} from '../../../src/network/subnet.js';

test('IPv4 round trip; junk refused', () => {
  assert.equal(formatIpv4(parseIpv4('10.88.0.2')!), '10.88.0.2');
  assert.equal(formatIpv4(parseIpv4('255.255.255.255')!), '255.255.255.255');
  for (const bad of ['10.88.0', '10.88.0.256', '01.2.3.4', 'a.b.c.d', '1.2.3.4.5'])
    assert.equal(parseIpv4(bad), undefined, bad);
});

test('subnets: host bits, prefix range and loopback refused', () => {
  assert.equal(formatSubnet(parseSubnet('10.90.0.0/24')), '10.90.0.0/24');
  assert.throws(() => parseSubnet('10.90.0.1/24'), /host bits set \(did you mean 10\.90\.0\.0\/24\?\)/);
  assert.throws(() => parseSubnet('10.0.0.0/30'), /outside \/8 to \/29/);
  assert.throws(() => parseSubnet('10.0.0.0'), /invalid subnet/);
  assert.throws(() => parseSubnet('127.0.0.0/8'), /loopback/);
});

test('overlap, containment, gateway and the first free address', () => {
  const a = parseSubnet('10.90.0.0/24');
  assert.equal(overlaps(a, parseSubnet('10.90.0.128/25')), true);
  assert.equal(overlaps(a, parseSubnet('10.0.0.0/8')), true);
  assert.equal(overlaps(a, parseSubnet('10.91.0.0/24')), false);
  assert.equal(contains(a, parseIpv4('10.90.0.77')!), true);
  assert.equal(formatIpv4(gatewayOf(a)), '10.90.0.1');
  assert.equal(formatIpv4(firstFree(a, [])!), '10.90.0.2');
  assert.equal(formatIpv4(firstFree(a, [parseIpv4('10.90.0.2')!, parseIpv4('10.90.0.3')!])!), '10.90.0.4');
  const tiny = parseSubnet('10.9.0.0/29'); // .0 net, .1 gateway, .2-.6 hosts, .7 broadcast
  const all = [2, 3, 4, 5, 6].map((i) => tiny.base + i);
  assert.equal(firstFree(tiny, all), undefined);
});

test('an automatic subnet skips used ones', () => {
  assert.equal(formatSubnet(pickSubnet([])!), '10.89.0.0/24');
  assert.equal(formatSubnet(pickSubnet([parseSubnet('10.89.0.0/23')])!), '10.89.2.0/24');
});
