/**
 * Every command of the README's `## Use` block, run for real against the built CLI, in order
 * (README.md is parsed at test time: a new line is a new check; a line this test cannot map FAILS
 * and says how to map it: readme-map.ts). As root, in BERTH_ROOT under a temp dir; stand-ins
 * (loopback registry and file server, fixture files) are made by readme-fixtures.ts; commands
 * that touch networks run in a network namespace the test makes (never the machine's own).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRunner, packageDir, isRoot, REPO, type Runner } from '../../helpers/berth-cli.js';
import { makeNetns, type TestNetns } from '../../helpers/netns.js';
import { requireThat } from '../../helpers/requirements.js';
import { ensureTools } from '../registry/fixtures.js';
import { readmeCommands, type ReadmeCommand } from './readme-block.js';
import { HOW_TO_MAP, RECIPES, mapCommand, type Step } from './readme-map.js';
import { makeFixtures } from './readme-fixtures.js';
import { kernelDebs } from './kernel-mirror.js';

const STEP_TIMEOUT = 180_000;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `sh -c cmd` with `berth` (the built CLI) on PATH, in `cwd`, optionally inside `ns`. */
function shell(
  r: Runner,
  bin: string,
  cwd: string,
  cmd: string,
  ns: TestNetns | undefined,
  input?: string,
): { done: Promise<Ran>; out: () => string; kill: () => void } {
  const argv = [...(ns ? ['ip', 'netns', 'exec', ns.name] : []), 'sh', '-c', cmd];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    BERTH_ROOT: r.root,
    PW: 'readme-password',
  };
  delete env.BERTH_SHIM;
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(input ?? '');
  const done = new Promise<Ran>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`timed out after ${STEP_TIMEOUT} ms: ${cmd}\nstdout=${stdout}\nstderr=${stderr}`));
    }, STEP_TIMEOUT);
    child.once('close', (code) => {
      clearTimeout(timer);
      res({ code: code ?? -1, stdout, stderr });
    });
  });
  return { done, out: () => stdout, kill: () => child.kill('SIGKILL') };
}

function missingRequirement(): string | undefined {
  if (!isRoot()) return 'root (bridge networks; the test makes its own network namespace)';
  for (const tool of ['script', 'ip', 'nft', 'qemu-system-x86_64', 'zstd', 'xz', 'dpkg-deb', 'gpg']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return tool;
  }
  const debs = kernelDebs();
  return typeof debs === 'string' ? debs : undefined;
}

test("every command of the README's Use block runs as documented", { timeout: 15 * 60_000 }, async (t) => {
  const commands = readmeCommands(readFileSync(join(REPO, 'README.md'), 'utf8'));
  assert.ok(commands.length > 20, `found only ${commands.length} commands in README.md's Use block`);
  const missing = missingRequirement();
  if (!requireThat(t, !missing, missing ?? '')) return;
  const absent = await ensureTools();
  if (!requireThat(t, absent.length === 0, `tools: ${absent.join(', ')}`)) return;

  const r = makeRunner('root');
  const setup = Date.now();
  const fx = await makeFixtures(r.root, kernelDebs() as string[]);
  t.diagnostic(
    `${((Date.now() - setup) / 1000).toFixed(1)} s  fixtures (registry, file server, kernels, debian image)`,
  );
  const ns = makeNetns();
  const bin = join(fx.work, '.bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'berth'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(packageDir(), 'dist', 'berth.cjs')}" "$@"\n`,
    { mode: 0o755 },
  );
  const recipes: Record<string, { sh: string; netns: boolean }> = Object.fromEntries(
    Object.entries(RECIPES).map(([k, sh]) => [k, { sh, netns: false }]),
  );
  const background: { what: string; done: Promise<Ran> }[] = [];
  t.after(async () => {
    r.cleanup(); // every environment first (they hold leases and taps in the namespace)
    ns.remove();
    await fx.close();
    spawnSync('rm', ['-rf', fx.work]);
  });
  const sh = (cmd: string, inNs = false) => shell(r, bin, fx.work, cmd, inNs ? ns : undefined).done;
  const state = async (name: string): Promise<string | undefined> => {
    const list = JSON.parse((await sh('berth ps -a --format json')).stdout) as {
      name: string;
      status: { state: string };
    }[];
    return list.find((e) => e.name === name)?.status.state;
  };

  // Unmapped commands fail before anything runs, all of them in one message.
  const plans = commands.map((c) => ({ c, steps: mapCommand(c.text, fx.ctx) }));
  const unmapped = plans
    .filter((p) => typeof p.steps === 'string')
    .map((p) => `README.md:${p.c.line} \`${p.c.text}\`: ${String(p.steps)}`);
  assert.deepEqual(unmapped, [], `unmapped README commands; ${HOW_TO_MAP}`);

  for (const { c, steps } of plans as { c: ReadmeCommand; steps: Step[] }[]) {
    for (const s of steps) {
      const where = `README.md:${c.line} \`${c.text}\` ran as \`${s.sh}\``;
      if (s.running && (await state(s.running)) !== 'running') {
        const recipe = recipes[s.running];
        assert.ok(recipe, `${where}: no recipe for ${s.running}: add one to RECIPES in readme-map.ts`);
        await sh(`berth rm -f ${s.running}`, recipe.netns);
        const made = await sh(recipe.sh, recipe.netns);
        assert.equal(made.code, 0, `${where}: (re)creating ${s.running} with \`${recipe.sh}\`: ${made.stderr}`);
      }
      if (s.ended) await sh(`berth kill ${s.ended}`);
      if (s.emptied) {
        const inspected = (await sh(`berth network inspect ${s.emptied}`, true)).stdout;
        for (const m of inspected.matchAll(/"(?:envId|id)":\s*"([0-9a-f]{12,64})"/g))
          await sh(`berth rm -f ${m[1]}`, true);
      }
      if (s.background) {
        const bg = shell(r, bin, fx.work, s.sh, s.netns ? ns : undefined);
        for (let i = 0; i < 600 && bg.out() === ''; i++) await new Promise((res) => setTimeout(res, 100));
        assert.notEqual(bg.out(), '', `${where}: printed nothing`);
        background.push({ what: where, done: bg.done });
        continue;
      }
      const cmd = s.tty ? `script -qec '${s.sh.replaceAll("'", "'\\''")}' /dev/null` : s.sh;
      const started = Date.now();
      const res = await shell(r, bin, fx.work, cmd, s.netns ? ns : undefined, s.tty ? 'exit\n' : undefined).done;
      t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s  ${s.sh}`); // where the time goes (no assertion)
      assert.equal(res.code, s.code ?? 0, `${where}: exit ${res.code}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`);
      if (s.stdout) assert.match(res.stdout, s.stdout, `${where}: stdout`);
      if (s.synopsis)
        assert.ok(
          res.stdout.includes(s.synopsis),
          `${where}: the help does not show \`${s.synopsis}\`:\n${res.stdout}`,
        );
      if (s.helpAll) await everyHelp(sh, res.stdout, where);
      const named = /^berth run -d --name (\S+)/.exec(s.sh);
      if (named) recipes[named[1]!] = { sh: s.sh, netns: s.netns === true };
    }
  }
  for (const b of background) {
    const res = await b.done;
    assert.equal(res.code, 0, `${b.what}: exit ${res.code}: ${res.stderr}`);
  }
});

/** `berth VERB --help` (and `berth network SUB --help`) for every verb `berth --help` lists. */
async function everyHelp(sh: (cmd: string) => Promise<Ran>, top: string, where: string): Promise<void> {
  const verbs = [...top.matchAll(/^ {2}berth (\S+)/gm)].map((m) => m[1]!);
  assert.ok(verbs.length > 20, `${where}: berth --help lists ${verbs.length} commands`);
  for (const v of [...verbs, 'network create', 'network ls', 'network inspect', 'network rm']) {
    const res = await sh(`berth ${v} --help`);
    assert.equal(res.code, 0, `${where}: berth ${v} --help exit ${res.code}: ${res.stderr}`);
    assert.match(res.stdout, new RegExp(`^berth ${v}\\b`, 'm'), `${where}: berth ${v} --help shows no usage line`);
  }
}
