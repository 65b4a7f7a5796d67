/**
 * CLI fuzz: thousands of generated argument lists (real verbs and flags from the help texts, odd
 * values, `--`, repeated flags, missing values) never make berth fail as a program: each gives a
 * real result (exit 0) or one "berth: " line and exit 125; never "internal error", a stack trace
 * or a hang. Deterministic (seeded; BERTH_FUZZ_SEED picks another seed) and cheap: most lists
 * run in-process through the CLI's parse and dispatch (fuzz/fuzz-driver.ts), a few hundred as
 * real processes, as root and as the test user. Nothing real is created (argv-gen.ts says how);
 * the store and working directory are temp dirs, checked empty of environments and removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { makeRunner, storedEnvs, type Mode } from '../../helpers/berth-cli.js';
import { OFFLINE_DNS_SOURCE } from '../../helpers/offline-dns.js';
import { prng, generate, verbsFromHelp, FIXED } from './fuzz/argv-gen.js';
import { judge, unsafeToRun } from './fuzz/judge.js';

const SEED = Number(process.env.BERTH_FUZZ_SEED ?? 20_251_117);
const IN_PROCESS = 3000;
const REAL_PER_MODE = 120;
const OFFLINE = `--import=data:text/javascript,${encodeURIComponent(OFFLINE_DNS_SOURCE)}`;

test('fuzz: generated argument lists, in-process', { timeout: 600_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-fuzz-root-'));
  const cwd = mkdtempSync(join(tmpdir(), 'berth-fuzz-cwd-'));
  try {
    const report = join(cwd, '..', `${cwd.split('/').pop()}.json`);
    const driver = resolve(import.meta.dirname, 'fuzz', 'fuzz-driver.js');
    const r = spawnSync(process.execPath, [driver, String(SEED), String(IN_PROCESS), report], {
      cwd,
      env: { ...process.env, BERTH_ROOT: root },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 540_000,
    });
    assert.equal(r.status, 0, `driver: ${r.stderr}`);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as {
      verbs: string[];
      flags: number;
      ran: number;
      skipped: number;
      failures: string[];
      stray: string[];
    };
    rmSync(report, { force: true });
    assert.ok(
      rep.verbs.length >= 25 && rep.flags >= 60,
      `verbs and flags read from the help: ${rep.verbs.join(', ')} (${rep.flags} flags)`,
    );
    assert.ok(rep.ran >= IN_PROCESS * 0.8, `ran ${rep.ran}, skipped ${rep.skipped}`);
    assert.deepEqual(rep.stray, [], 'no uncaught error');
    assert.deepEqual(rep.failures, []);
    assert.deepEqual(storedEnvs(root), [], 'no environment created');
  } finally {
    spawnSync('rm', ['-rf', root, cwd]);
  }
});

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`fuzz: generated argument lists, real processes (${mode})`, { timeout: 600_000 }, async () => {
    const runner = makeRunner(mode);
    const cwd = mkdtempSync(join(tmpdir(), 'berth-fuzz-cwd-'));
    chmodSync(cwd, 0o777);
    try {
      const cli = runner.argv([]).args.at(-1)!;
      const berth = (args: string[]) =>
        runner.hostRun('sh', [
          '-c',
          'cd "$1" && shift && exec "$@"',
          'sh',
          cwd,
          'env',
          `NODE_OPTIONS=${OFFLINE}`,
          process.execPath,
          cli,
          ...args,
        ]);
      const help = async (words: string[]) => (await berth([...words, '--help'])).stdout;
      const top = await help([]);
      const helps = new Map<string, string>();
      for (const m of top.matchAll(/^ {2}berth ([a-z][\w-]*)/gm)) helps.set(m[1]!, await help([m[1]!]));
      helps.set('network create', await help(['network', 'create']));
      for (const w of ['ls', 'inspect', 'rm']) helps.set(`network ${w}`, await help(['network', w]));
      const verbs = verbsFromHelp(top, (w) => helps.get(w.join(' ')) ?? '');
      const rand = prng(SEED + (mode === 'root' ? 1 : 2));
      const cases = [
        ...FIXED,
        ...Array.from({ length: REAL_PER_MODE }, () => generate(rand, verbs, { inProcess: false })),
      ].filter((a) => !unsafeToRun(a));
      const failures: string[] = [];
      // Four at a time: each is a Node start-up.
      for (let i = 0; i < cases.length; i += 4) {
        const batch = cases.slice(i, i + 4);
        const outs = await Promise.all(batch.map(async (argv) => ({ argv, ...(await berth(argv)) })));
        for (const o of outs) {
          const bad = judge(o);
          if (bad) failures.push(bad);
        }
      }
      assert.deepEqual(failures, []);
      assert.deepEqual(storedEnvs(runner.root), [], 'no environment created');
    } finally {
      runner.cleanup();
      spawnSync('rm', ['-rf', cwd]);
    }
  });
}
