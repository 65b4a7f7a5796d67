/**
 * Templates (docs/templates.md) on every backend: the setup's result is kept and clones start
 * from it (uml refuses in one line and leaves nothing). microvm only: the whole VM is kept (a
 * process the setup left running is there in the clone), two clones at once differ in hostname,
 * random bytes and boot id and have the host's clock, an incompatible resume (other memory size,
 * a changed kernel file) is refused in one line, and `template rm` is refused while a clone runs
 * (-f removes it and the clone runs on). `template create --from` a running environment (ADR 0064):
 * the clone has its file and (microvm) its counting process; the source runs on; kill -9 mid-save
 * leaves it running and no template; uml refuses. On microvm the source is a warm pool's member,
 * claimed by run --pool afterwards (the pool check of microvm, on the same boot).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { Check } from './checks.js';
import { bulkDisk } from './channel-checks.js';
import { storedEnvs, processesMentioning, type Runner } from '../helpers/berth-cli.js';

const templatesLeft = (r: Runner) => {
  const dir = join(r.root, 'templates');
  return existsSync(dir) ? readdirSync(dir) : [];
};

function oneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, pattern);
}

const keeps: Check = {
  name: "template: the setup's result is kept, clones start from it, rm removes it",
  async run(r, backend) {
    const made = await r.run(
      [
        'template',
        'create',
        'tpl',
        '--backend',
        backend,
        '-e',
        'TPL_VAR=from-template',
        '--',
        'sh',
        '-c',
        'echo made > /setup-file',
      ],
      { timeoutMs: 300_000 },
    );
    if (backend === 'uml') {
      assert.equal(made.code, 125, made.stderr);
      oneLine(made.stderr, /templates are not available on the uml backend \(use --backend microvm/);
      assert.deepEqual(templatesLeft(r), []);
      assert.deepEqual(storedEnvs(r.root), []);
      return;
    }
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout, 'tpl\n');
    const vm = backend === 'microvm';
    assert.match(made.stderr, vm ? /kept filesystem, memory and processes/ : /kept filesystem only/);
    const ls = JSON.parse((await r.run(['template', 'ls', '--format', 'json'])).stdout) as {
      name: string;
      backend: string;
      kept: { processes: boolean };
    }[];
    assert.deepEqual(
      ls.map((t) => [t.name, t.backend, t.kept.processes]),
      [['tpl', backend, vm]],
    );
    assert.deepEqual(storedEnvs(r.root), [], 'the build environment is gone');
    const run = await r.run(['run', '--rm', '--template', 'tpl', '--', 'sh', '-c', 'cat /setup-file; echo $TPL_VAR'], {
      timeoutMs: 120_000,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'made\nfrom-template\n');
    // A clone's own change stays its own.
    const dirty = await r.run(['run', '--rm', '--template', 'tpl', '--', 'sh', '-c', 'echo mine > /setup-file'], {
      timeoutMs: 120_000,
    });
    assert.equal(dirty.code, 0, dirty.stderr);
    const again = await r.run(['run', '--rm', '--template', 'tpl', '--', 'cat', '/setup-file'], { timeoutMs: 120_000 });
    assert.equal(again.stdout, 'made\n', again.stderr);
    const bad = await r.run(['run', '--rm', '--template', 'no-such', '--', 'true']);
    assert.equal(bad.code, 125);
    oneLine(bad.stderr, /no such template: no-such/);
    const rm = await r.run(['template', 'rm', 'tpl']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(templatesLeft(r), []);
    assert.deepEqual(storedEnvs(r.root), []);
  },
};

const failedSetup: Check = {
  name: 'template: a failing setup leaves no template and no environment',
  appliesTo: (b) => b !== 'uml',
  async run(r, backend) {
    const made = await r.run(['template', 'create', 'broken', '--backend', backend, '--', 'sh', '-c', 'exit 3'], {
      timeoutMs: 300_000,
    });
    assert.equal(made.code, 125, made.stderr);
    oneLine(made.stderr, /the setup command of template broken exited with 3/);
    assert.deepEqual(templatesLeft(r), []);
    assert.deepEqual(storedEnvs(r.root), []);
  },
};

interface CloneFacts {
  hostname: string;
  random: string;
  bootId: string;
  time: number;
  sleeper: boolean;
}

function facts(stdout: string): CloneFacts {
  const [hostname, random, bootId, time, sleeper] = stdout.trim().split('\n');
  return {
    hostname: hostname!,
    random: random!.trim(),
    bootId: bootId!,
    time: Number(time),
    sleeper: sleeper === 'yes',
  };
}

const CLONE_SCRIPT = [
  'hostname',
  'head -c 16 /dev/urandom | od -An -tx1 | tr -d " "',
  'cat /proc/sys/kernel/random/boot_id',
  'date +%s',
  'if ps | grep -q "[s]leep 4242"; then echo yes; else echo no; fi',
].join('; ');

const vmClones: Check = {
  name: 'template (microvm): clones are the saved VM with their own identity; incompatible resumes and rm in use are refused',
  appliesTo: (b) => b === 'microvm',
  async run(r) {
    const made = await r.run(
      ['template', 'create', 'vm', '--backend', 'microvm', '--', 'sh', '-c', 'sleep 4242 </dev/null >/dev/null 2>&1 &'],
      { timeoutMs: 300_000 },
    );
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual(processesMentioning(join(r.root, 'envs')), [], 'no QEMU of the build is left');
    // Two clones at once.
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        r.run(['run', '--rm', '--template', 'vm', '--', 'sh', '-c', CLONE_SCRIPT], { timeoutMs: 180_000 }),
      ),
    );
    assert.equal(a!.code, 0, a!.stderr);
    assert.equal(b!.code, 0, b!.stderr);
    const fa = facts(a!.stdout);
    const fb = facts(b!.stdout);
    assert.ok(fa.sleeper && fb.sleeper, 'the process the setup left running is in each clone');
    assert.notEqual(fa.hostname, fb.hostname);
    assert.match(fa.random, /^[0-9a-f]{32}$/);
    assert.notEqual(fa.random, fb.random, 'two clones read the same random bytes');
    assert.notEqual(fa.bootId, fb.bootId);
    // The guest clock was stepped to the host's (the saved state's clock is older).
    for (const f of [fa, fb]) assert.ok(Math.abs(f.time - Date.now() / 1000) < 60, `guest time ${f.time}`);

    // Another memory size than the template's: refused, nothing left.
    const mem = await r.run(['run', '--rm', '--template', 'vm', '-m', '512m', '--', 'true']);
    assert.equal(mem.code, 125, mem.stderr);
    oneLine(mem.stderr, /template vm cannot be resumed here: memory 512 MiB \(template: 256 MiB\) \(rebuild it: /);
    assert.deepEqual(storedEnvs(r.root), []);

    // -v: virtiofs cannot be saved or resumed (ADR 0059): a clone with -v and a template made with
    // -v are refused before anything boots or is kept.
    const vol = `${tmpdir()}:/host`;
    const cloneV = await r.run(['run', '--rm', '--template', 'vm', '-v', vol, '--', 'true']);
    assert.equal(cloneV.code, 125, cloneV.stderr);
    oneLine(cloneV.stderr, /clones of microvm template vm cannot take -v/);
    const madeV = await r.run(['template', 'create', 'vmv', '--backend', 'microvm', '-v', vol]);
    assert.equal(madeV.code, 125, madeV.stderr);
    oneLine(madeV.stderr, /a microvm template cannot be made with -v/);
    assert.deepEqual(storedEnvs(r.root), []);
    assert.deepEqual(templatesLeft(r), ['vm']);

    // rm while a clone runs: refused; -f removes it and the clone runs on.
    const d = await r.run(['run', '-d', '--name', 'clone', '--template', 'vm', '--', 'sleep', '600'], {
      timeoutMs: 180_000,
    });
    assert.equal(d.code, 0, d.stderr);
    // The template keeps the guest's RAM in a file the clones map copy-on-write (ADR 0066): the
    // saved state is the devices only, and the running clone's QEMU maps the template's RAM file.
    const tdir = join(r.root, 'templates', 'vm');
    const tpl = JSON.parse(readFileSync(join(tdir, 'template.json'), 'utf8')) as { machine: { memoryFile?: boolean } };
    assert.equal(tpl.machine.memoryFile, true);
    assert.ok(statSync(join(tdir, 'vm-state')).size < 1 << 20, 'the saved state holds no RAM');
    assert.ok(existsSync(join(tdir, 'clone-overlay.qcow2')), 'the clones copy a blank overlay');
    const cloneId = storedEnvs(r.root)[0]!;
    const qemu = (JSON.parse(readFileSync(join(r.root, 'envs', cloneId, 'pids.json'), 'utf8')) as { child: number })
      .child;
    assert.match(readFileSync(`/proc/${qemu}/maps`, 'utf8'), /\/templates\/vm\/vm-ram$/m);
    // ADR 0068: a resumed QEMU reads no kernel or initramfs, and its state came through a socket now gone.
    const qemuArgv = readFileSync(`/proc/${qemu}/cmdline`, 'utf8').split('\0');
    for (const flag of ['-kernel', '-initrd', '-append']) assert.ok(!qemuArgv.includes(flag), `clone QEMU has ${flag}`);
    const runDir = (
      JSON.parse(readFileSync(join(r.root, 'envs', cloneId, 'microvm.json'), 'utf8')) as { runDir: string }
    ).runDir;
    assert.ok(!existsSync(join(runDir, 'incoming.sock')), 'the incoming state socket is removed');
    const busy = await r.run(['template', 'rm', 'vm']);
    assert.equal(busy.code, 125);
    oneLine(busy.stderr, /template vm is used by running environments: clone \(stop them first/);
    const forced = await r.run(['template', 'rm', '-f', 'vm']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(templatesLeft(r), []);
    const still = await r.run(['exec', 'clone', 'sh', '-c', 'echo alive > /after && cat /after'], {
      timeoutMs: 60_000,
    });
    assert.equal(still.stdout, 'alive\n', still.stderr);
    // After IDENTITY the clone's init says BULK_READY again, so its stdin in bulk goes by the
    // clone's own bulk channel disk (ADR 0084), and whole.
    const before = await bulkDisk(r, 'clone');
    const input = randomBytes(2 * 1024 * 1024).toString('hex');
    const summed = await r.run(['exec', '-i', 'clone', 'sha256sum'], { input, timeoutMs: 120_000 });
    assert.equal(summed.stdout.split(' ')[0], createHash('sha256').update(input).digest('hex'), summed.stderr);
    const read = (await bulkDisk(r, 'clone')).sectorsRead - before.sectorsRead;
    assert.ok(read >= (input.length * 15) / 16 / 512, `the clone read ${read} sectors of its bulk disk for 4 MiB`);
    assert.equal((await r.run(['rm', '-f', 'clone'])).code, 0);

    // A template whose kernel file changed since: refused, naming the kernel.
    const again = await r.run(['template', 'create', 'vm2', '--backend', 'microvm'], { timeoutMs: 300_000 });
    assert.equal(again.code, 0, again.stderr);
    const rec = JSON.parse(readFileSync(join(r.root, 'templates', 'vm2', 'template.json'), 'utf8')) as {
      machine: { kernel: string };
    };
    const kernel = rec.machine.kernel.split('@')[0]!;
    utimesSync(kernel, new Date(), new Date(Date.now() - 3_600_000));
    const changed = await r.run(['run', '--rm', '--template', 'vm2', '--', 'true']);
    assert.equal(changed.code, 125, changed.stderr);
    oneLine(changed.stderr, /template vm2 cannot be resumed here: kernel .* changed since/);
    assert.deepEqual(storedEnvs(r.root), []);
    assert.equal((await r.run(['template', 'rm', 'vm2'])).code, 0);
  },
};

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

const killed: Check = {
  name: 'template: kill -9 of template create leaves no template, environment or VM process',
  appliesTo: (b) => b !== 'uml',
  async run(r, backend) {
    const name = `killme-${r.mode}`;
    const child = r.spawn(['template', 'create', name, '--backend', backend, '--', 'sleep', '600']);
    const closed = new Promise((res) => child.once('close', res));
    // Once the setup environment exists (mid-creation), kill the CLI itself (under runuser: its child).
    for (let i = 0; i < 600 && storedEnvs(r.root).length === 0; i++) await sleep(100);
    assert.equal(storedEnvs(r.root).length, 1, 'the setup environment was made');
    await sleep(500);
    for (const l of processesMentioning(`template create ${name}`)) {
      try {
        process.kill(Number(l.split(' ')[0]), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    child.kill('SIGKILL');
    await closed;
    // The session reaper removes the build environment; the next ls sweeps the build dir.
    for (let i = 0; i < 600 && storedEnvs(r.root).length > 0; i++) await sleep(100);
    assert.deepEqual(storedEnvs(r.root), [], 'the setup environment is gone');
    const ls = await r.run(['template', 'ls', '--format', 'json']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(JSON.parse(ls.stdout), []);
    assert.deepEqual(templatesLeft(r), []);
    assert.deepEqual(processesMentioning(join(r.root, 'envs')), [], 'no VM process is left');
  },
};

/** Once the CLI's template build has started writing the saved VM state (mid-save), kill it. */
async function killMidSave(r: Runner, name: string, env: string): Promise<void> {
  const child = r.spawn(['template', 'create', name, '--from', env]);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let exited: number | null | undefined;
  const closed = new Promise((res) =>
    child.once('close', (code) => {
      exited = code;
      res(code);
    }),
  );
  const dir = join(r.root, 'templates');
  const saving = () =>
    readdirSync(dir)
      .filter((e) => e.startsWith(`.${name}.build-`))
      .some((e) => {
        try {
          return statSync(join(dir, e, 'vm-state')).size > 0;
        } catch {
          return false;
        }
      });
  for (let i = 0; i < 3000 && exited === undefined && !(existsSync(dir) && saving()); i++) await sleep(10);
  assert.ok(
    existsSync(dir) && saving(),
    `the state was being saved (the CLI ${exited === undefined ? 'runs' : `exited ${exited}`}: ${stderr})`,
  );
  for (const l of processesMentioning(`template create ${name} --from`)) {
    try {
      process.kill(Number(l.split(' ')[0]), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  child.kill('SIGKILL');
  await closed;
}

/** The count the source's loop wrote, then the next one (the loop runs on). */
const COUNT_TWICE = 'a=$(cat /count); while [ "$(cat /count)" = "$a" ]; do sleep 0.2; done; echo $a; cat /count';
/**
 * A file, and a shell variable counting in a loop: the state a saved VM keeps. The count is
 * renamed into place, so no reader (nor a clone saved mid-write) ever sees it empty.
 */
const LOOP =
  'echo forked > /file; x=0; while :; do x=$((x+1)); echo $x > /count.new; mv /count.new /count; sleep 1; done';

/**
 * The source. On microvm it is the one member of a warm pool (one boot serves the pool check too),
 * running the loop in the background; elsewhere a detached run of the loop.
 */
async function startSource(r: Runner, backend: string): Promise<string> {
  if (backend !== 'microvm') {
    const src = await r.run(['run', '-d', '--name', 'src', '--backend', backend, 'busybox', 'sh', '-c', LOOP]);
    assert.equal(src.code, 0, src.stderr);
    return 'src';
  }
  const made = await r.run(
    ['pool', 'create', 'vmp', '--size', '1', '--backend', backend, '-e', 'POOL_VAR=vm', 'busybox'],
    { timeoutMs: 300_000 },
  );
  assert.equal(made.code, 0, made.stderr);
  const [member] = storedEnvs(r.root);
  assert.ok(member, 'the pool booted its member');
  const bg = await r.run(['exec', member, 'sh', '-c', `(${LOOP}) </dev/null >/dev/null 2>&1 &`], { timeoutMs: 60_000 });
  assert.equal(bg.code, 0, bg.stderr);
  return member;
}

/** microvm: the pool's member (the fork's source) is claimed by run --pool; pool rm ends the refill. */
async function claimFromPool(r: Runner, member: string): Promise<void> {
  const ran = await r.run(['run', '--rm', '--pool', 'vmp', '--', 'sh', '-c', 'echo $POOL_VAR; hostname; exit 4'], {
    timeoutMs: 120_000,
  });
  assert.equal(ran.code, 4, ran.stderr);
  const [v, host] = ran.stdout.trim().split('\n');
  assert.equal(v, 'vm');
  assert.ok(member.startsWith(host!), `ran in the member (hostname ${host}, member ${member})`);
  assert.ok(!storedEnvs(r.root).includes(member), 'the claimed member is removed (--rm)');
  // The refill boots a replacement in the background: pool rm ends it (no second full boot here).
  const rm = await r.run(['pool', 'rm', '-f', 'vmp'], { timeoutMs: 120_000 });
  assert.equal(rm.code, 0, rm.stderr);
  assert.deepEqual(storedEnvs(r.root), []);
  assert.deepEqual(processesMentioning(join(r.root, 'envs')), [], 'no QEMU or monitor is left');
}

const fromRunning: Check = {
  name: 'template create --from a running environment: clones start where it stood, it runs on; kill -9 mid-save leaves it running and no template; microvm: the source is a warm pool member, then claimed',
  // chroot commits as a rootless container does (copied running, no pause): container covers it.
  appliesTo: (b) => b !== 'chroot',
  async run(r, backend) {
    if (backend === 'uml') {
      // Refused before anything is booted or kept: a created (not started) uml environment is enough.
      assert.equal((await r.run(['create', '--name', 'usrc', '--backend', 'uml', 'busybox', 'true'])).code, 0);
      const made = await r.run(['template', 'create', 'fk', '--from', 'usrc']);
      assert.equal(made.code, 125, made.stderr);
      oneLine(
        made.stderr,
        /cannot be made from uml environment usrc: .*\(keep booted uml environments ready with a warm pool/,
      );
      assert.deepEqual(templatesLeft(r), []);
      assert.equal((await r.run(['rm', '-f', 'usrc'])).code, 0);
      return;
    }
    const vm = backend === 'microvm';
    const src = await startSource(r, backend);
    const before = await r.run(['exec', src, 'sh', '-c', COUNT_TWICE], { timeoutMs: 60_000 });
    assert.equal(before.code, 0, before.stderr);
    const counted = Number(before.stdout.trim().split('\n')[1]);

    if (vm) {
      // Named per mode: the other mode's half runs beside this one, and the kill goes by command line.
      await killMidSave(r, `killed-${r.mode}`, src);
      const ls = await r.run(['template', 'ls', '--format', 'json']);
      assert.deepEqual(JSON.parse(ls.stdout), [], ls.stderr);
      assert.deepEqual(templatesLeft(r), [], 'no half template');
      const runs = await r.run(['exec', src, 'sh', '-c', COUNT_TWICE], { timeoutMs: 60_000 });
      assert.equal(runs.code, 0, `the source runs on after the killed save: ${runs.stderr}`);
    } else {
      // Bad input (the same on every backend): one line, 125.
      const extra = await r.run(['template', 'create', 'fk', '--from', src, 'busybox']);
      assert.equal(extra.code, 125, extra.stderr);
      oneLine(extra.stderr, /template create --from takes no run options, image or setup command \(given: busybox\)/);
      const none = await r.run(['template', 'create', 'fk', '--from', 'no-such-env']);
      assert.equal(none.code, 125, none.stderr);
      oneLine(none.stderr, /no-such-env/);
    }

    const made = await r.run(['template', 'create', 'fk', '--from', src], { timeoutMs: 180_000 });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stderr, vm ? /kept filesystem, memory and processes/ : /kept filesystem only/);
    const rec = JSON.parse(readFileSync(join(r.root, 'templates', 'fk', 'template.json'), 'utf8')) as { from: string };
    const srcName = vm
      ? (JSON.parse(readFileSync(join(r.root, 'envs', src, 'config.json'), 'utf8')) as { name: string }).name
      : src;
    assert.equal(rec.from, srcName);
    // The source runs on, and what it writes now is its own.
    const after = await r.run(['exec', src, 'sh', '-c', 'echo after > /file; cat /file'], { timeoutMs: 60_000 });
    assert.equal(after.stdout, 'after\n', after.stderr);
    const clone = await r.run(
      ['run', '--rm', '--template', 'fk', '--', 'sh', '-c', vm ? `cat /file; ${COUNT_TWICE}` : 'cat /file'],
      { timeoutMs: 180_000 },
    );
    assert.equal(clone.code, 0, clone.stderr);
    const [file, first, next] = clone.stdout.trim().split('\n');
    assert.equal(file, 'forked', 'the clone has the file as it stood');
    if (vm) {
      // The loop's variable was kept: it counts on from where the source stood, not from 1.
      assert.ok(Number(first) >= counted, `clone count ${first} < ${counted}`);
      assert.equal(Number(next), Number(first) + 1);
    }
    assert.equal((await r.run(['template', 'rm', 'fk'])).code, 0);
    const still = await r.run(['exec', src, 'cat', '/file']);
    assert.equal(still.stdout, 'after\n', still.stderr);
    if (vm) await claimFromPool(r, src);
    else assert.equal((await r.run(['rm', '-f', src], { timeoutMs: 60_000 })).code, 0);
    assert.deepEqual(templatesLeft(r), []);
    assert.deepEqual(storedEnvs(r.root), []);
  },
};

export const TEMPLATE_CHECKS: Check[] = [keeps, failedSetup, vmClones, killed, fromRunning];
