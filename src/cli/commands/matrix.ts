/**
 * `berth matrix`: one command across backends x images x kernels, with a live table on a
 * terminal, a summary, JUnit/JSON reports and a log per cell. Exit 1 when a cell failed (or,
 * with --require-all, was unavailable); 125 for berth's own errors.
 */
import type { CommandModule } from 'yargs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as berth from '../../index.js';
import { table } from '../output.js';

interface MatrixArgs {
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
      .example(
        'berth matrix --backend chroot,container --image busybox -- ./test.sh',
        'run a host script in each cell',
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
    const live = process.stderr.isTTY === true;
    let drawn = 0;
    const seen = new Set<string>();
    const results = await berth.matrix(spec, {
      logDir: a.logs,
      onUpdate: (rs) => {
        if (live) {
          const text = table(berth.MATRIX_HEADERS, rs.map(berth.matrixRow));
          process.stderr.write(`${drawn ? `\x1b[${drawn}A\x1b[J` : ''}${text}`);
          drawn = text.split('\n').length - 1;
          return;
        }
        for (const r of rs) {
          if (['pending', 'running'].includes(r.state) || seen.has(r.id)) continue;
          seen.add(r.id);
          process.stderr.write(`${r.id}: ${berth.resultWord(r)}\n`);
        }
      },
    });
    process.stdout.write(`\n${table(berth.MATRIX_HEADERS, results.map(berth.matrixRow))}`);
    const logOf = (r: berth.CellResult) =>
      r.logFile && existsSync(r.logFile) ? readFileSync(r.logFile, 'utf8').slice(-8192) : '';
    if (a.junit) writeFileSync(a.junit, berth.junitXml(results, 'berth matrix', logOf));
    if (a.json) writeFileSync(a.json, `${JSON.stringify({ spec, results }, null, 2)}\n`);
    const failed = results.filter((r) => r.state === 'failed' || r.state === 'error');
    const missing = results.filter((r) => r.state === 'unavailable');
    const passed = results.length - failed.length - missing.length;
    process.stdout.write(
      `${passed} passed, ${failed.length} failed, ${missing.length} unavailable; logs in ${a.logs}/\n`,
    );
    if (failed.length > 0 || (a['require-all'] && missing.length > 0)) process.exitCode = 1;
  },
};
