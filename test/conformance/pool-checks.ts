/**
 * Warm pools (docs/pools.md, ADR 0057). uml (the backend that cannot snapshot; one pool of two
 * busybox members on the suite's kernel): create, ls, members in ps with the pool's label, run
 * --pool runs CMD in a member (output, exit status, -e, --rm), a refill killed by SIGKILL while it
 * boots leaves nothing after the next sweep (a plain `berth prune`, then pool ls), pool rm removes
 * the rest, bad input is one line.
 * container (cheap): 10 concurrent run --pool on a pool of 2 all succeed in 10 distinct environments;
 * the library claims with create({ pool }) and run({ pool }). microvm: template-checks.ts
 * (`--from`) forks a pool's one member and then claims it, so one boot serves both.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Check } from './checks.js';
import { packageDir, storedEnvs, processesMentioning, type Runner } from '../helpers/berth-cli.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function oneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, pattern);
}

const labelsOf = (r: Runner, id: string): Record<string, string> => {
  try {
    return (
      JSON.parse(readFileSync(join(r.root, 'envs', id, 'config.json'), 'utf8')) as {
        spec: { labels: Record<string, string> };
      }
    ).spec.labels;
  } catch {
    return {};
  }
};

const poolDirs = (r: Runner) => {
  const dir = join(r.root, 'pools');
  return existsSync(dir) ? readdirSync(dir) : [];
};

interface PoolLs {
  name: string;
  backend: string;
  size: number;
  idle: number;
  booting: number;
}

async function ls(r: Runner): Promise<PoolLs[]> {
  const out = await r.run(['pool', 'ls', '--format', 'json'], { timeoutMs: 120_000 });
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as PoolLs[];
}

/** Poll until F returns something (a refill boots for seconds under TCG-level load). */
async function until<T>(what: string, f: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const umlPool: Check = {
  name: 'pool: create, run --pool in a member, a refill killed -9 leaves nothing, rm, bad input',
  appliesTo: (b) => b === 'uml',
  async run(r, backend) {
    const made = await r.run(
      ['pool', 'create', 'warm', '--size', '2', '--backend', backend, '-e', 'POOL_VAR=set', 'busybox'],
      {
        timeoutMs: 300_000,
      },
    );
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout, 'warm\n');
    assert.deepEqual(
      (await ls(r)).map((p) => [p.name, p.backend, p.size, p.idle, p.booting]),
      [['warm', backend, 2, 2, 0]],
    );
    const members = storedEnvs(r.root);
    assert.equal(members.length, 2);
    for (const id of members) assert.equal(labelsOf(r, id)['berth.pool'], 'warm');
    const ps = await r.run(['ps', '--format', 'json']);
    assert.equal((JSON.parse(ps.stdout) as unknown[]).length, 2, ps.stdout);

    // CMD runs in a member: its output, its exit status, the pool's -e and the run's -e; --rm removes it.
    const ran = await r.run(
      [
        'run',
        '--rm',
        '--pool',
        'warm',
        '-e',
        'RUN_VAR=too',
        '--',
        'sh',
        '-c',
        'echo $POOL_VAR $RUN_VAR; hostname; exit 3',
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(ran.code, 3, ran.stderr);
    const [vars, host] = ran.stdout.trim().split('\n');
    assert.equal(vars, 'set too');
    const claimed = members.find((id) => id.startsWith(host!));
    assert.ok(claimed, `ran in a member (hostname ${host}, members ${members.join(' ')})`);
    assert.ok(!storedEnvs(r.root).includes(claimed), 'the claimed member is removed (--rm)');

    // The refill that run started boots a replacement: kill it with SIGKILL half-way.
    const building = join(r.root, 'pools', 'warm', 'building');
    const token = await until('the refill to register', () =>
      existsSync(building) ? readdirSync(building)[0] : undefined,
    );
    const half = await until('the refill to make its member', () =>
      storedEnvs(r.root).find((id) => labelsOf(r, id)['berth.pool.builder'] === token),
    );
    process.kill(Number(token.split('-')[0]), 'SIGKILL');
    // A plain `berth prune` sweeps the pools too (as `pool ls` does): the half member and the dead
    // builder's entry go, the idle member stays.
    const pruned = await r.run(['prune'], { timeoutMs: 120_000 });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(
      storedEnvs(r.root),
      members.filter((id) => id !== claimed),
      'only the idle member is left',
    );
    assert.deepEqual(readdirSync(building), [], 'no builder entry is left');
    assert.deepEqual(processesMentioning(half), [], 'no kernel or monitor of the half member is left');
    const after = await ls(r);
    assert.deepEqual(
      after.map((p) => [p.idle, p.booting]),
      [[1, 0]],
    );

    // Bad input: one line, 125, nothing changed (side by side: each is a CLI start).
    const cases = [
      [['run', '--pool', 'nope', '--', 'true'], /no such pool: nope/],
      [['pool', 'rm', 'nope'], /no such pool: nope/],
      [['pool', 'create', 'other', '--size', '0', 'busybox'], /invalid --size "0"/],
      [['pool', 'create', 'other', '--size', '-3', 'busybox'], /invalid --size "-3"/],
      [['pool', 'create', 'other', '--size', '100000', 'busybox'], /invalid --size "100000"/],
      [['pool', 'create', 'warm', '--size', '1', 'busybox'], /pool warm already exists/],
      [
        ['run', '--pool', 'warm', '--memory', '64m', 'busybox', '--', 'true'],
        /--pool warm fixes IMAGE, --memory already/,
      ],
      [['create', '--pool', 'warm', 'busybox'], /--pool warm works with run only/],
    ] as const;
    const results = await Promise.all(cases.map(([args]) => r.run([...args])));
    cases.forEach(([args, pattern], i) => {
      assert.equal(results[i]!.code, 125, `${args.join(' ')}: ${results[i]!.stderr}`);
      oneLine(results[i]!.stderr, pattern);
    });
    assert.deepEqual(
      storedEnvs(r.root),
      members.filter((id) => id !== claimed),
    );
    assert.deepEqual(
      poolDirs(r).filter((n) => !n.startsWith('.')),
      ['warm'],
    );

    // What a claim's exec costs the member's guest init (ADR 0069), counted, not timed: it starts
    // the command with a vfork-style clone, so PID 1 takes about 1 page fault per exec (a fork made
    // its own pages copy-on-write: ~15; clearing its 3 MiB START buffer: ~830).
    const idle = members.find((id) => id !== claimed)!;
    const faults = async () => {
      const st = await r.run(['exec', idle, '--', 'cat', '/proc/1/stat']);
      assert.equal(st.code, 0, st.stderr);
      return Number(st.stdout.slice(st.stdout.lastIndexOf(')') + 2).split(' ')[7]);
    };
    const before = await faults();
    const perExec = (await faults()) - before;
    assert.ok(perExec >= 0 && perExec <= 6, `one exec cost the guest init ${perExec} page faults (at most 6)`);

    const rm = await r.run(['pool', 'rm', 'warm'], { timeoutMs: 120_000 });
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(storedEnvs(r.root), []);
    assert.deepEqual(poolDirs(r), []);
    for (const id of members) assert.deepEqual(processesMentioning(id), []);
  },
};

const claimRace: Check = {
  name: 'pool: 10 concurrent run --pool on a pool of 2 run in 10 distinct environments; the library claims too',
  appliesTo: (b) => b === 'container',
  async run(r, backend) {
    const made = await r.run(['pool', 'create', 'race', '--size', '2', '--backend', backend, 'busybox'], {
      timeoutMs: 120_000,
    });
    assert.equal(made.code, 0, made.stderr);
    const members = storedEnvs(r.root);
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => r.run(['run', '--pool', 'race', '--', 'hostname'], { timeoutMs: 120_000 })),
    );
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const hosts = runs.map((x) => x.stdout.trim());
    assert.equal(new Set(hosts).size, 10, `distinct environments: ${hosts.join(' ')}`);
    // Every environment that ran is recorded once, exited 0, labelled as claimed from the pool.
    const claimed = storedEnvs(r.root).filter((id) => labelsOf(r, id)['berth.pool.claimed'] === 'race');
    assert.equal(claimed.length, 10);
    assert.deepEqual(
      hosts.map((h) => claimed.filter((id) => id.startsWith(h)).length),
      Array(10).fill(1),
    );
    // Both idle members were used (the race is over warm members, not only cold boots).
    assert.equal(members.filter((id) => claimed.includes(id)).length, 2);
    // The library's side: create({ pool }) hands over a member to exec into, run({ pool }) runs in
    // one with --rm, and a claim-time conflict is the typed error.
    const dir = mkdtempSync(join(tmpdir(), 'berth-pool-lib-'));
    try {
      const file = join(dir, 'pool.mjs');
      writeFileSync(
        file,
        `import * as berth from ${JSON.stringify(join(packageDir(), 'dist', 'index.mjs'))};
const env = await berth.create({ pool: 'race' });
const r = await env.exec(['hostname']);
const run = await berth.run({ pool: 'race', command: ['sh', '-c', 'exit 7'], autoRemove: true });
await env.remove();
let bad = '';
try { await berth.run({ pool: 'race', image: 'busybox', command: ['true'] }); } catch (e) { bad = e.code; }
process.stdout.write(JSON.stringify({ host: r.stdout.trim(), id: env.id, exit: run.exitCode, bad }));
`,
      );
      chmodSync(dir, 0o755);
      chmodSync(file, 0o644);
      const lib = await r.hostRun(process.execPath, [file]);
      assert.equal(lib.code, 0, lib.stderr);
      const got = JSON.parse(lib.stdout) as { host: string; id: string; exit: number; bad: string };
      assert.equal(got.host, got.id.slice(0, 12));
      assert.equal(got.exit, 7);
      assert.equal(got.bad, 'pool-option-conflict');
      assert.ok(!storedEnvs(r.root).includes(got.id), 'the created member is removed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const rm = await r.run(['pool', 'rm', '-f', 'race'], { timeoutMs: 120_000 });
    assert.equal(rm.code, 0, rm.stderr);
    await r.run(['rm', ...claimed], { timeoutMs: 120_000 });
    assert.deepEqual(storedEnvs(r.root), []);
    assert.deepEqual(poolDirs(r), []);
  },
};

export const POOL_CHECKS: Check[] = [umlPool, claimRace];
