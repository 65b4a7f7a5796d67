import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdtempSync,
  writeFileSync,
  appendFileSync,
  renameSync,
  linkSync,
  unlinkSync,
  existsSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLogs, type LogOptions, type LogStore } from '../../../src/api/logs.js';
import type { LogRecord } from '../../../src/core/cri-log.js';

/** A temp environment directory and an EnvStore stand-in pointing at it. */
function fakeEnv() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logs-'));
  let state = 'exited';
  const store = { dirOf: () => dir, status: () => ({ state }) } as unknown as LogStore;
  return {
    dir,
    store,
    setState: (s: string) => {
      state = s;
    },
    log: (name = 'ctr.log') => join(dir, name),
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const t0 = Date.parse('2026-01-01T00:00:00Z');
/** CRI lines for texts; record i is at t0 + i seconds (plus 1 ns, so the fraction matters). */
function cri(texts: (string | number)[], stream = 'stdout'): string {
  return texts
    .map((x) => {
      const i = Number(String(x).replace(/\D/g, '')) || 0;
      const time = new Date(t0 + i * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$1000001Z');
      return `${time} ${stream} F ${x}\n`;
    })
    .join('');
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => `l${a + i}`);

/** What the shim does: shift ctr.log.K up, link ctr.log -> ctr.log.1, new empty ctr.log over it. */
function rotate(dir: string, files: number, linkOnly = false): void {
  const p = (i: number) => join(dir, i === 0 ? 'ctr.log' : `ctr.log.${i}`);
  writeFileSync(join(dir, 'ctr.log.tmp'), '');
  for (let i = files - 1; i >= 2; i--) if (existsSync(p(i - 1))) renameSync(p(i - 1), p(i));
  if (files > 1) {
    if (existsSync(p(1))) unlinkSync(p(1));
    linkSync(p(0), p(1));
  }
  if (linkOnly) return; // stop at the moment ctr.log and ctr.log.1 are one inode
  renameSync(join(dir, 'ctr.log.tmp'), p(0));
}

async function all(store: LogStore, opts: LogOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readLogs(store, 'x', opts)) out.push(r.text);
  return out;
}

async function take(it: AsyncGenerator<LogRecord>, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value.text);
  }
  return out;
}

test('reads the rotated files oldest first, then ctr.log', async () => {
  const e = fakeEnv();
  try {
    writeFileSync(e.log('ctr.log.2'), cri(range(1, 3)));
    writeFileSync(e.log('ctr.log.1'), cri(range(4, 6)));
    writeFileSync(e.log('ctr.log'), cri(range(7, 8)));
    writeFileSync(e.log('ctr.log.tmp'), cri(['stale'])); // never read
    writeFileSync(e.log('ctr.log.x'), cri(['other']));
    assert.deepEqual(await all(e.store), range(1, 8));
    assert.deepEqual(await all(e.store, { tail: 4 }), range(5, 8), 'tail spans files');
    // numeric order, not lexical: .10 is older than .9
    writeFileSync(e.log('ctr.log.10'), cri(['old']));
    writeFileSync(e.log('ctr.log.9'), cri(['older-than-2']));
    assert.deepEqual((await all(e.store)).slice(0, 3), ['old', 'older-than-2', 'l1']);
  } finally {
    e.done();
  }
});

test('a file seen under two names (mid-rotation hard link) is read once', async () => {
  const e = fakeEnv();
  try {
    writeFileSync(e.log('ctr.log.1'), cri(range(1, 2)));
    writeFileSync(e.log('ctr.log'), cri(range(3, 4)));
    rotate(e.dir, 3, true);
    assert.deepEqual(await all(e.store), range(1, 4));
  } finally {
    e.done();
  }
});

test('no log yet: nothing, no error', async () => {
  const e = fakeEnv();
  try {
    assert.deepEqual(await all(e.store), []);
    assert.deepEqual(await all(e.store, { follow: true, pollMs: 1 }), []);
  } finally {
    e.done();
  }
});

test('since filters across files and comes before tail', async () => {
  const e = fakeEnv();
  try {
    writeFileSync(e.log('ctr.log.1'), cri(range(1, 5)));
    writeFileSync(e.log('ctr.log'), cri(range(6, 9)));
    const since = new Date(t0 + 4000); // l4 is at t0+4s+1ns: kept
    assert.deepEqual(await all(e.store, { since }), range(4, 9));
    assert.deepEqual(await all(e.store, { since, tail: 2 }), range(8, 9));
    assert.deepEqual(await all(e.store, { since: new Date(t0 + 4001) }), range(5, 9));
    assert.deepEqual(await all(e.store, { since: new Date(t0 + 60_000) }), []);
  } finally {
    e.done();
  }
});

test('follow survives rotations, including several between two polls', async () => {
  const e = fakeEnv();
  e.setState('running');
  const it = readLogs(e.store, 'x', { follow: true, pollMs: 5 });
  try {
    writeFileSync(e.log('ctr.log.1'), cri(range(1, 2)));
    writeFileSync(e.log('ctr.log'), cri(range(3, 4)));
    assert.deepEqual(await take(it, 4), range(1, 4));

    // a record written, then the file rotated before the reader polls again
    appendFileSync(e.log(), cri(['l5']));
    rotate(e.dir, 3);
    appendFileSync(e.log(), cri(['l6']));
    assert.deepEqual(await take(it, 2), ['l5', 'l6']);

    // three rotations between polls: l7's file ends as ctr.log.3 (kept with 4 files)
    const p = take(it, 5);
    appendFileSync(e.log(), cri(['l7']));
    rotate(e.dir, 4);
    appendFileSync(e.log(), cri(['l8']));
    rotate(e.dir, 4);
    appendFileSync(e.log(), cri(['l9']));
    rotate(e.dir, 4);
    appendFileSync(e.log(), cri(['l10', 'l11']));
    assert.deepEqual(await p, range(7, 11));

    // with one file (no ctr.log.1): the old inode is gone, continue at the new ctr.log
    // (the files left from the 4-file rotations are older and not read again; the pause
    // keeps the mtimes apart on filesystems with a coarse clock)
    await new Promise((r) => setTimeout(r, 30));
    appendFileSync(e.log(), cri(['l12']));
    rotate(e.dir, 1);
    appendFileSync(e.log(), cri(['l13']));
    assert.deepEqual(await take(it, 2), ['l12', 'l13']);

    // a partial last line is completed by the next write, not lost or split
    appendFileSync(e.log(), cri(['l14']).slice(0, 10));
    await new Promise((r) => setTimeout(r, 20));
    appendFileSync(e.log(), cri(['l14']).slice(10));
    assert.deepEqual(await take(it, 1), ['l14']);

    appendFileSync(e.log(), cri(['l15']));
    e.setState('exited');
    assert.deepEqual(await take(it, 10), ['l15'], 'ends once exited and drained');
  } finally {
    await it.return(undefined);
    e.done();
  }
});

test('follow with since drops older records, also after a rotation', async () => {
  const e = fakeEnv();
  e.setState('running');
  const it = readLogs(e.store, 'x', { follow: true, pollMs: 5, since: new Date(t0 + 3000) });
  try {
    writeFileSync(e.log(), cri(range(1, 4)));
    assert.deepEqual(await take(it, 2), ['l3', 'l4']);
    appendFileSync(e.log(), cri(['l2', 'l5'])); // an out-of-order old record is filtered too
    rotate(e.dir, 2);
    appendFileSync(e.log(), cri(['l6']));
    e.setState('exited');
    assert.deepEqual(await take(it, 10), ['l5', 'l6']);
  } finally {
    await it.return(undefined);
    e.done();
  }
});

test('follow goes on while the environment is paused (as docker logs -f does), and ends once it exited', async () => {
  const e = fakeEnv();
  e.setState('paused');
  writeFileSync(e.log(), cri(['l1']));
  const it = readLogs(e.store, 'x', { follow: true, pollMs: 5 });
  try {
    assert.deepEqual(await take(it, 1), ['l1']);
    // Polls while paused find nothing: the follow must still be there when the command writes again.
    const next = take(it, 1);
    await new Promise((r) => setTimeout(r, 50));
    e.setState('running');
    appendFileSync(e.log(), cri(['l2']));
    assert.deepEqual(await next, ['l2']);
    e.setState('exited');
    assert.deepEqual(await take(it, 10), [], 'ends once exited and drained');
  } finally {
    await it.return(undefined);
    e.done();
  }
});
