/**
 * `berth matrix`: one command across backends x images x kernels, with a live table on a
 * terminal, a summary, JUnit/JSON reports and a log per cell; here, or with --on slurm as one
 * Slurm job array (matrix-cluster.ts). Exit 1 when a cell failed (or, with --require-all, was
 * unavailable); 130 when Ctrl-C cancelled a Slurm run; 125 for berth's own errors.
 */
import type { CommandModule } from 'yargs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as berth from '../../index.js';
import { table } from '../output.js';
import { type ClusterArgs, emitKubernetes, runOnSlurm } from './matrix-cluster.js';

interface MatrixArgs extends ClusterArgs {
  on: 'local' | 'slurm' | 'kubernetes';
  backend?: string;
  image?: string;
  kernel?: string;
  jobs?: number;
  junit?: string;
  json?: string;
  logs: string;
  file?: string;
  'require-all': boolean;
  command?: string[];
  '--'?: string[];
}

const DEFAULT_FILE = 'berth.matrix.json';

const SLURM_ONLY = ['partition', 'time', 'slurm-arg'] as const;
const CLUSTER_ONLY = ['berth-path', 'store', 'results'] as const;

/** Flags that belong to another --on are refused, not ignored. */
function checkOnFlags(a: MatrixArgs): void {
  const refuse = (flag: string, fix: string) => {
    throw new berth.SpecError('usage', `--${flag} does not apply to --on ${a.on}`, { fix });
  };
  if (a.on !== 'slurm') for (const f of SLURM_ONLY) if (a[f] !== undefined) refuse(f, 'add --on slurm');
  if (a.on === 'local') for (const f of CLUSTER_ONLY) if (a[f] !== undefined) refuse(f, 'add --on slurm');
  if (a.on !== 'kubernetes') {
    if (a.emit !== undefined) refuse('emit', 'add --on kubernetes');
    if (a['pod-image'] !== undefined) refuse('pod-image', 'add --on kubernetes');
  } else if (a.emit === undefined)
    throw new berth.SpecError('usage', '--on kubernetes only writes the Job for now: --emit FILE is missing', {
      fix: 'add --emit job.json, then kubectl apply -f job.json',
    });
}

function readMatrixFile(path: string | undefined): Record<string, unknown> {
  const p = path ?? (existsSync(DEFAULT_FILE) ? DEFAULT_FILE : undefined);
  if (!p) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new berth.SpecError('bad-matrix', `cannot read matrix file ${p}: ${(e as Error).message.split('\n')[0]}`, {
      fix: 'give a JSON file like {"backends": ["chroot"], "images": ["busybox"], "command": ["true"]}',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new berth.SpecError('bad-matrix', `matrix file ${p} is not a JSON object`, {
      fix: 'see "berth matrix --help"',
    });
  return parsed as Record<string, unknown>;
}

export const matrixCommand: CommandModule<object, MatrixArgs> = {
  command: 'matrix [command..]',
  describe: 'Run one command or host script across backends x images x kernels, with reports',
  builder: (y) =>
    y
      .parserConfiguration({ 'populate--': true, 'unknown-options-as-args': false })
      .option('backend', {
        type: 'string',
        requiresArg: true,
        describe: 'comma-separated backends, e.g. chroot,container,uml,microvm',
      })
      .option('image', { type: 'string', requiresArg: true, describe: 'comma-separated images (default busybox)' })
      .option('kernel', {
        type: 'string',
        requiresArg: true,
        describe: 'comma-separated kernels for uml/microvm cells',
      })
      .option('jobs', { alias: 'j', type: 'number', requiresArg: true, describe: 'cells run at once (default 2)' })
      .option('file', {
        alias: 'f',
        type: 'string',
        requiresArg: true,
        describe: `matrix file (JSON; default ./${DEFAULT_FILE} if present)`,
      })
      .option('logs', { type: 'string', default: 'berth-matrix-logs', describe: 'directory for one log per cell' })
      .option('junit', { type: 'string', requiresArg: true, describe: 'write a JUnit XML report here' })
      .option('json', { type: 'string', requiresArg: true, describe: 'write a JSON report here' })
      .option('require-all', { type: 'boolean', default: false, describe: 'an unavailable backend fails the run' })
      .option('on', {
        choices: ['local', 'slurm', 'kubernetes'],
        default: 'local',
        describe:
          'where cells run: here, as one Slurm job array (a task per cell), or as a Kubernetes Indexed Job (--emit)',
      })
      .option('partition', { type: 'string', requiresArg: true, describe: 'Slurm partition (--on slurm)' })
      .option('time', { type: 'string', requiresArg: true, describe: 'Slurm time limit per cell, e.g. 30 or 1:00:00' })
      .option('slurm-arg', {
        type: 'string',
        array: true,
        requiresArg: true,
        describe: 'one more sbatch option, verbatim, e.g. --slurm-arg=--mem=2G (repeatable)',
      })
      .option('berth-path', {
        type: 'string',
        requiresArg: true,
        describe: "berth on the nodes (default: this berth's own path; the version must match)",
      })
      .option('store', {
        type: 'string',
        requiresArg: true,
        describe:
          "images and kernels all nodes share (BERTH_STORE; default: each node's own store); see docs/matrix-slurm.md",
      })
      .option('results', {
        type: 'string',
        requiresArg: true,
        describe: 'results directory the nodes share: records and logs (default ./berth-matrix-results)',
      })
      .option('emit', { type: 'string', requiresArg: true, describe: 'write the Kubernetes Indexed Job here (JSON)' })
      .option('pod-image', {
        type: 'string',
        requiresArg: true,
        describe: 'image with berth for the Kubernetes pods (default berth:VERSION)',
      })
      .example('berth matrix --backend chroot,container --image busybox -- ./test.sh', 'run a host script in each cell')
      .example(
        'berth matrix --on slurm --partition debug --backend chroot,uml -- ./test.sh',
        'one Slurm array task per cell; run it in a directory the nodes share',
      ) as never,
  handler: async (a) => {
    const command = [...(a.command ?? []), ...(a['--'] ?? [])].map(String);
    const spec = berth.matrixSpec(readMatrixFile(a.file), {
      ...(a.backend !== undefined ? { backends: a.backend } : {}),
      ...(a.image !== undefined ? { images: a.image } : {}),
      ...(a.kernel !== undefined ? { kernels: a.kernel } : {}),
      ...(a.jobs !== undefined ? { jobs: a.jobs } : {}),
      command,
    });
    checkOnFlags(a);
    if (a.on === 'kubernetes') {
      await emitKubernetes(spec, a);
      process.stdout.write(`wrote ${a.emit}: kubectl apply -f ${a.emit}\n`);
      return;
    }
    const live = a.on === 'local' && process.stderr.isTTY === true;
    let drawn = 0;
    const seen = new Set<string>();
    const onUpdate = (rs: berth.CellResult[]) => {
      if (live) {
        const text = table(berth.MATRIX_HEADERS, rs.map(berth.matrixRow));
        process.stderr.write(`${drawn ? `\x1b[${drawn}A\x1b[J` : ''}${text}`);
        drawn = text.split('\n').length - 1;
        return;
      }
      for (const r of rs) {
        if (['pending', 'running'].includes(r.state) || seen.has(r.id)) continue;
        seen.add(r.id);
        process.stderr.write(`${r.id}: ${berth.resultWord(r)}${r.node ? ` (on ${r.node})` : ''}\n`);
      }
    };
    const { results, cancelled } =
      a.on === 'slurm'
        ? await runOnSlurm(spec, a, onUpdate)
        : { results: await berth.matrix(spec, { logDir: a.logs, onUpdate }), cancelled: false };
    process.stdout.write(`\n${table(berth.MATRIX_HEADERS, results.map(berth.matrixRow))}`);
    const logOf = (r: berth.CellResult) =>
      r.logFile && existsSync(r.logFile) ? readFileSync(r.logFile, 'utf8').slice(-8192) : '';
    if (a.junit) writeFileSync(a.junit, berth.junitXml(results, 'berth matrix', logOf));
    if (a.json) writeFileSync(a.json, `${JSON.stringify({ spec, results }, null, 2)}\n`);
    const failed = results.filter((r) => r.state === 'failed' || r.state === 'error');
    const missing = results.filter((r) => r.state === 'unavailable');
    const passed = results.length - failed.length - missing.length;
    process.stdout.write(
      `${passed} passed, ${failed.length} failed, ${missing.length} unavailable; logs in ${
        a.on === 'slurm' ? `${a.results ?? berth.DEFAULT_RESULTS_DIR}/logs` : a.logs
      }/\n`,
    );
    if (failed.length > 0 || (a['require-all'] && missing.length > 0)) process.exitCode = 1;
    if (cancelled) process.exitCode = 130;
  },
};
