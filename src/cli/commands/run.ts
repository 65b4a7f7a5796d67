/** `berth run [OPTIONS] [IMAGE] [--] [CMD...]`: the hot path (no yargs, no spinners). */
import { resolve } from 'node:path';
import * as berth from '../../index.js';
import { parseFastArgs, type ParsedArgs } from '../fast-args.js';
import { RUN_OPTIONS } from '../options/run-options.js';
import type { OptionDef } from '../options/option-table.js';
import { terminalProgress } from '../progress-hook.js';

export const RUN_USAGE = 'run [OPTIONS] [IMAGE] [--] [COMMAND [ARG...]]';
export const RUN_DESCRIBE = 'Run a command in a new environment (IMAGE defaults to the builtin busybox)';

function parseVolume(v: string): berth.Mount {
  const parts = v.split(':');
  const [source, target, mode, ...extra] = parts;
  if (!source || !target || extra.length > 0 || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    throw new berth.SpecError('bad-volume', `invalid -v "${v}"`, { fix: 'use -v /host/path:/path/inside[:ro]' });
  }
  // As Docker: a source starting with "." is a path relative to the current directory.
  const abs = source === '.' || source.startsWith('./') || source.startsWith('../') ? resolve(source) : source;
  return { source: abs, target, readOnly: mode === 'ro' };
}

function parseLabels(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new berth.SpecError('bad-label', `invalid --label "${v}"`, { fix: 'use --label KEY=VALUE' });
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function parseSecurity(
  opts: string[],
  capAdd: string[],
  capDrop: string[],
  privileged: boolean,
): berth.SecurityOptions {
  let seccomp: berth.SecurityOptions['seccomp'] = 'default';
  for (const s of opts) {
    if (s === 'seccomp=unconfined') seccomp = 'unconfined';
    else if (s === 'seccomp=default') seccomp = 'default';
    else
      throw new berth.SpecError('bad-security-opt', `unsupported --security-opt "${s}"`, {
        fix: 'use seccomp=unconfined or seccomp=default',
      });
  }
  return { capAdd, capDrop, seccomp, privileged };
}

const str = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
const list = (o: Record<string, unknown>, k: string) => (Array.isArray(o[k]) ? (o[k] as string[]) : []);

export async function runCommand(argv: string[], table: readonly OptionDef[] = RUN_OPTIONS): Promise<number> {
  const args = parseFastArgs(argv, table, { min: 0, max: 1 });
  const input = await runInput(args);
  const detach = input.detach === true;
  const res = await berth.run(input);
  if (detach) {
    process.stdout.write(`${res.id}\n`);
    return 0;
  }
  if (res.detached) {
    process.stderr.write(
      `\nberth: detached from ${res.name}; it keeps running (berth exec -it ${res.name} sh, berth logs -f ${res.name}, berth stop ${res.name})\n`,
    );
    return 0;
  }
  if (res.oomKilled) process.stderr.write(`berth: the command was OOM killed (exit ${res.exitCode}); raise --memory\n`);
  return res.exitCode;
}

/** The library input of `run`'s options, IMAGE and command (`template create` takes the same). */
export async function runInput(args: ParsedArgs): Promise<berth.SpecInput> {
  const o = args.options;
  const template = str(o, 'template');
  const pool = str(o, 'pool');
  if (template !== undefined && args.positionals.length > 0) {
    throw new berth.SpecError('template-and-image', `--template ${template} brings its own image`, {
      fix: `drop IMAGE "${args.positionals[0]}", or drop --template`,
    });
  }
  if (args.dashDash && args.command.length === 0) {
    throw new berth.SpecError('missing-command', 'missing command after "--"', { fix: 'e.g. berth run -- uname -a' });
  }
  const limits: berth.Limits = {};
  const memory = str(o, 'memory');
  if (memory !== undefined) limits.memoryBytes = berth.parseSize(memory, '--memory');
  const cpus = str(o, 'cpus');
  if (cpus !== undefined) limits.cpus = berth.parsePositiveNumber(cpus, '--cpus');
  const pids = str(o, 'pids-limit');
  if (pids !== undefined) limits.pidsLimit = berth.parsePositiveNumber(pids, '--pids-limit', true);
  const diskSize = str(o, 'disk-size');
  const diskSizeBytes = diskSize === undefined ? undefined : berth.parseSize(diskSize, '--disk-size');
  // Absent: the library defaults it (BERTH_BACKEND, config files, auto: src/core/backend-setting.ts).
  const backend = str(o, 'backend') as berth.EnvSpec['backend'] | undefined;
  const security = parseSecurity(
    list(o, 'security-opt'),
    list(o, 'cap-add'),
    list(o, 'cap-drop'),
    o.privileged === true,
  );
  const detach = o.detach === true;
  const input: berth.SpecInput = {
    ...(template !== undefined ? { template } : {}),
    // --pool: the pool's members have their image already (IMAGE given with it is refused).
    ...(pool !== undefined ? { pool } : {}),
    ...(pool === undefined || args.positionals[0] !== undefined ? { image: args.positionals[0] ?? 'busybox' } : {}),
    command: args.command,
    ...(backend !== undefined ? { backend } : {}),
    env: berth.parseEnvArgs(list(o, 'env')),
    mounts: list(o, 'volume').map(parseVolume),
    limits,
    tty: o.tty === true,
    interactive: o.interactive === true,
    detach,
    autoRemove: o.rm === true,
    labels: parseLabels(list(o, 'label')),
    security,
    ignoreUnenforced: o['ignore-unenforced'] === true,
    insecureRegistries: list(o, 'insecure-registry'),
    ...(diskSizeBytes !== undefined ? { diskSizeBytes } : {}),
    ports: await berth.parsePortSpecs(list(o, 'publish')),
  };
  if (o.pull !== undefined) input.pull = berth.pullPolicyOf(o.pull);
  const entrypoint = str(o, 'entrypoint');
  if (entrypoint !== undefined) input.entrypoint = entrypoint === '' ? [] : [entrypoint];
  if (security.privileged && o.quiet !== true) {
    process.stderr.write(
      'berth: --privileged: all capabilities and no seccomp filter; the environment can undo much of its isolation\n',
    );
  }
  const optional = {
    network: str(o, 'network'),
    name: str(o, 'name'),
    hostname: str(o, 'hostname'),
    workdir: str(o, 'workdir'),
    user: str(o, 'user'),
    isolation: str(o, 'isolation') as berth.IsolationLevel | undefined,
    kernel: str(o, 'kernel'),
    accel: str(o, 'accel'),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (input as Record<string, unknown>)[k] = v;
  input.onWarning = (m) => process.stderr.write(`berth: warning: ${m}\n`);
  if (o.quiet !== true) {
    const progress = terminalProgress();
    input.onProgress = progress;
    input.onTransfer = progress.transfer;
  }
  // Not named on the command line: say which backend, why, and what --isolation kernel would give.
  const tellChoice = (backend === undefined || backend === 'auto') && o.quiet !== true && process.stderr.isTTY;
  input.onChoice = (c, spec) => {
    if (tellChoice) process.stderr.write(`berth: using ${berth.describeChoice(c)}\n`);
    // chroot always shares it; the VM backends refuse it (their guest has its own kernel).
    if (spec.resolved.network.kind === 'host' && c.chosen === 'container' && o.quiet !== true) {
      process.stderr.write(
        "berth: --network host: the environment shares the host's network stack (no isolation of interfaces, ports or firewall)\n",
      );
    }
  };
  return input;
}
