import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, type DecodedPacket, type Packet } from 'dns-packet';
import { decide, memberResolvConf, servfail, upstreams, MEMBER_TTL } from '../../../src/network/dns/dns-answer.js';

const members = [
  { ip: '10.89.3.2', names: ['web', 'web-host'] },
  { ip: '10.89.3.3', names: ['db'] },
];

const query = (name: string, type: 'A' | 'AAAA' | 'PTR' | 'MX' = 'A'): Packet => ({
  id: 4242,
  type: 'query',
  flags: 0x0100,
  questions: [{ type, name, class: 'IN' }],
});

/** What a client decodes (dns-packet's types leave out rcode and answers' common fields). */
type Wire = Omit<DecodedPacket, 'answers'> & {
  rcode: string;
  answers: { type: string; data: unknown; ttl?: number }[];
};
const wire = (p: Packet) => decode(encode(p)) as unknown as Wire;

/** Through the wire format, as a client sees it. */
function answer(q: Packet): Wire {
  const d = decide(q, members);
  assert.equal(d.kind, 'answer');
  if (d.kind !== 'answer') throw new Error('unreachable');
  return wire(d.response);
}

test("a member's name and hostname answer its leased address, case-insensitively", () => {
  for (const name of ['web', 'WEB-host', 'web.']) {
    const r = answer(query(name));
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.id, 4242);
    assert.equal(r.flag_aa, true);
    assert.equal(r.flag_rd, true);
    assert.deepEqual(
      r.answers.map((a) => [a.type, a.data, a.ttl]),
      [['A', '10.89.3.2', MEMBER_TTL]],
    );
  }
});

test("a member's AAAA or MX is NOERROR with no data (never forwarded)", () => {
  for (const t of ['AAAA', 'MX'] as const) {
    const r = answer(query('db', t));
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(r.answers, []);
  }
});

test("a member's address answers PTR with its first name", () => {
  const r = answer(query('3.3.89.10.in-addr.arpa', 'PTR'));
  assert.deepEqual(
    r.answers.map((a) => a.data),
    ['db'],
  );
  assert.deepEqual(decide(query('9.3.89.10.in-addr.arpa', 'PTR'), members), { kind: 'forward' });
});

test('an unknown single-label name is NXDOMAIN here; a dotted one is forwarded', () => {
  assert.equal(answer(query('nosuchpeer')).rcode, 'NXDOMAIN');
  assert.deepEqual(decide(query('example.org'), members), { kind: 'forward' });
  assert.equal(decide(query('web'), []).kind, 'answer');
  assert.equal(answer(query('web')).rcode, 'NOERROR');
});

test('a member that left is no longer answered', () => {
  const d = decide(query('db'), members.slice(0, 1));
  assert.equal(d.kind === 'answer' && wire(d.response).rcode, 'NXDOMAIN');
});

test('no question, or several, is REFUSED', () => {
  assert.equal(answer({ id: 1, type: 'query', questions: [] }).rcode, 'REFUSED');
  const two = query('web');
  two.questions!.push({ type: 'A', name: 'db', class: 'IN' });
  assert.equal(answer(two).rcode, 'REFUSED');
});

test('SERVFAIL keeps the id and question', () => {
  const r = wire(servfail(query('example.org')));
  assert.equal(r.rcode, 'SERVFAIL');
  assert.equal(r.id, 4242);
  assert.equal(r.questions?.[0]?.name, 'example.org');
});

test("upstreams: the host's nameservers in order, without the resolver itself, once each", () => {
  assert.deepEqual(
    upstreams(
      '# c\nnameserver 127.0.0.53\nnameserver 10.89.3.1\nsearch x\nnameserver 192.0.2.1\nnameserver 192.0.2.1\n',
      '10.89.3.1',
    ),
    ['127.0.0.53', '192.0.2.1'],
  );
  assert.deepEqual(upstreams('', '10.89.3.1'), []);
});

test("a container member's resolv.conf names the gateway", () => {
  assert.equal(memberResolvConf('10.89.3.1'), 'nameserver 10.89.3.1\n');
});
