/**
 * Logs at volume and byte-exact (issue 17 item 8, issue 20 item 6): hundreds of thousands of
 * records across rotated files stream without gathering (before: "Maximum call stack size
 * exceeded" from an array spread), --tail reads from the end and agrees with tailRecords on
 * every cut, and records keep the bytes the command wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLogs, readLogBatches, type LogOptions, type LogStore } from '../../../src/api/logs.js';
import { tailRecords, recordBytes, sinceRecords, type LogRecord } from '../../../src/core/cri-log.js';

function fakeEnv(state = 'exited') {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logs-'));
  let st = state;
  const store = { dirOf: () => dir, status: () => ({ state: st }) } as unknown as LogStore;
  return {
    dir,
    store,
    setState: (s: string) => {
      st = s;
    },
    log: (n = 'ctr.log') => join(dir, n),
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const T = '2026-01-01T00:00:00.000000001Z';
const cri = (stream: string, tag: string, text: string | Buffer) =>
  Buffer.concat([Buffer.from(`${T} ${stream} ${tag} `), Buffer.from(text), Buffer.from('\n')]);

async function collect(store: LogStore, opts: LogOptions = {}): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const b of readLogBatches(store, 'x', opts)) for (const r of b) out.push(r);
  return out;
}

test('300,000 records in two files stream, and --tail 1 and --tail 5 work', async () => {
  const e = fakeEnv();
  try {
    const lines = (from: number, n: number, stream: string) =>
      Array.from({ length: n }, (_, i) => `${T} ${stream} F ${from + i}\n`).join('');
    writeFileSync(e.log('ctr.log.1'), lines(0, 200_000, 'stdout'));
    writeFileSync(e.log('ctr.log'), lines(200_000, 100_000, 'stderr'));
    const all = await collect(e.store);
    assert.equal(all.length, 300_000);
    assert.equal(all[0]!.text, '0');
    assert.equal(all.at(-1)!.text, '299999');
    assert.equal(all.at(-1)!.stream, 'stderr');
    let n = 0;
    for await (const r of readLogs(e.store, 'x')) if (r.text === String(n)) n++;
    assert.equal(n, 300_000, 'record by record, in order');
    assert.deepEqual(
      (await collect(e.store, { tail: 1 })).map((r) => r.text),
      ['299999'],
    );
    assert.deepEqual(
      (await collect(e.store, { tail: 100_001 })).map((r) => r.text).slice(0, 2),
      ['199999', '200000'],
      'tail spans files',
    );
  } finally {
    e.done();
  }
});

test('tail from the end agrees with tailRecords over the whole log (partials, empty texts, since, every n)', async () => {
  const e = fakeEnv();
  try {
    // a seeded mix of full and partial records of both streams, across three files
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const files = ['ctr.log.2', 'ctr.log.1', 'ctr.log'];
    let k = 0;
    for (const f of files) {
      const recs: Buffer[] = [];
      for (let i = 0; i < 400; i++) {
        const t = `2026-01-01T00:00:${String(Math.floor(k / 20) % 60).padStart(2, '0')}.000000001Z`;
        const text = rand() < 0.1 ? '' : `r${k}${rand() < 0.05 ? 'x'.repeat(70_000) : ''}`; // some longer than a block
        recs.push(Buffer.from(`${t} ${rand() < 0.5 ? 'stdout' : 'stderr'} ${rand() < 0.3 ? 'P' : 'F'} ${text}\n`));
        k++;
      }
      writeFileSync(e.log(f), Buffer.concat(recs));
    }
    const whole = await collect(e.store);
    assert.equal(whole.length, 1200);
    const since = new Date('2026-01-01T00:00:30Z');
    for (const n of [0, 1, 2, 3, 5, 17, 100, 399, 400, 401, 799, 1199, 1200, 5000]) {
      assert.deepEqual(
        (await collect(e.store, { tail: n })).map((r) => r.text),
        tailRecords(whole, n).map((r) => r.text),
        `tail ${n}`,
      );
      assert.deepEqual(
        (await collect(e.store, { tail: n, since })).map((r) => r.text),
        tailRecords(sinceRecords(whole, since), n).map((r) => r.text),
        `tail ${n} since`,
      );
    }
  } finally {
    e.done();
  }
});

test('tail then follow: a record being written when tail read is delivered once, complete', async () => {
  const e = fakeEnv('running');
  const it = readLogs(e.store, 'x', { tail: 1, follow: true, pollMs: 5 });
  try {
    const half = cri('stdout', 'F', 'third');
    writeFileSync(
      e.log(),
      Buffer.concat([cri('stdout', 'F', 'first'), cri('stdout', 'F', 'second'), half.subarray(0, 20)]),
    );
    assert.equal((await it.next()).value?.text, 'second');
    appendFileSync(e.log(), half.subarray(20));
    assert.equal((await it.next()).value?.text, 'third');
    e.setState('exited');
    assert.equal((await it.next()).done, true);
  } finally {
    await it.return(undefined);
    e.done();
  }
});

test('records keep the bytes the command wrote (invalid UTF-8, NUL, CR)', async () => {
  const e = fakeEnv();
  try {
    const raw = Buffer.from([0xff, 0xfe, 0x00, 0x61, 0x62, 0x63]);
    writeFileSync(
      e.log(),
      Buffer.concat([cri('stdout', 'F', raw), cri('stderr', 'P', Buffer.from([0xc3, 0x28, 0x0d]))]),
    );
    for (const opts of [{}, { tail: 2 }]) {
      const [a, b] = await collect(e.store, opts);
      assert.deepEqual(recordBytes(a!), Buffer.concat([raw, Buffer.from('\n')]));
      assert.deepEqual(recordBytes(b!), Buffer.from([0xc3, 0x28, 0x0d]));
      assert.equal(a!.text, '\ufffd\ufffd\u0000abc', 'text is the lossy decoding');
    }
  } finally {
    e.done();
  }
});
