/**
 * Running a matrix: each cell is an environment (backend x image x kernel) kept alive by a idle
 * loop, the command run in it by exec (a host script named first is copied in), its output kept in
 * a per-cell log. Cells run `jobs` at a time; every environment is a session environment, so a
 * killed `berth matrix` leaves nothing behind either.
 */
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ContextOptions } from '../context.js';
import { makeContext } from '../context.js';
import type { Environment } from '../environment.js';
import { isBerthError } from '../../core/errors.js';
import { writeOrWait } from '../../core/write-or-wait.js';
import { BACKEND_NAMES, type BackendName } from '../../core/spec.js';
import { cellsOf, type Cell, type MatrixSpec } from './cells.js';
import type { CellResult } from './report.js';

const KEEP_ALIVE = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait; done'];
const SCRIPT_DIR = '/tmp/berth-matrix';

export interface MatrixOptions extends ContextOptions {
  /** Directory for one log per cell (created). */
  logDir: string;
  /** Called whenever a cell changes state (for a live table). */
  onUpdate?: (results: CellResult[]) => void;
  /** Where a host script named relatively is found (default: the current directory). */
  cwd?: string;
}

/** What a matrix uses of the library: index.ts passes its own create (the api never imports index.ts). */
export interface MatrixLibrary {
  create(input: {
    backend: string;
    image: string;
    command: string[];
    kernel?: string;
    root?: string;
  }): Promise<Environment>;
}

/** A host file named as the command is copied in and run from there. */
function hostScript(command: string[], cwd = process.cwd()): string | undefined {
  const first = command[0]!;
  if (!first.includes('/')) return undefined;
  const p = resolve(cwd, first);
  return existsSync(p) && statSync(p).isFile() ? p : undefined;
}

/** One cell here: unavailable (with the backend's reason), or its environment, command and log. */
export async function runCell(
  cell: Cell,
  m: MatrixSpec,
  available: Map<string, string>,
  opts: Pick<MatrixOptions, 'logDir' | 'root' | 'cwd'>,
  lib: MatrixLibrary,
): Promise<Partial<CellResult>> {
  const why = available.get(cell.backend);
  if (why) return { state: 'unavailable', reason: why };
  const logFile = join(opts.logDir, `${cell.id}.log`);
  const log = createWriteStream(logFile);
  const started = Date.now();
  try {
    const input = {
      backend: cell.backend,
      image: cell.image,
      command: KEEP_ALIVE,
      ...(cell.kernel ? { kernel: cell.kernel } : {}),
      ...(opts.root ? { root: opts.root } : {}),
    };
    await using env = await lib.create(input);
    const script = hostScript(m.command, opts.cwd);
    let argv = m.command;
    if (script) {
      await env.copyIn(script, SCRIPT_DIR);
      argv = [`${SCRIPT_DIR}/${basename(script)}`, ...m.command.slice(1)];
    }
    const r = await env.exec(argv, { onStdout: (c) => writeOrWait(log, c), onStderr: (c) => writeOrWait(log, c) });
    return {
      state: r.exitCode === 0 ? 'passed' : 'failed',
      exitCode: r.exitCode,
      logFile,
      durationMs: Date.now() - started,
    };
  } catch (e) {
    const msg = isBerthError(e) ? e.oneLine() : (e as Error).message;
    log.write(`berth: ${msg}\n`);
    return { state: 'error', reason: msg, logFile, durationMs: Date.now() - started };
  } finally {
    await new Promise((r) => log.end(r));
  }
}

/** Backends (of `only`, default all) that do not work here, with doctor's reason. */
export async function unavailableBackends(
  opts: ContextOptions,
  only: readonly BackendName[] = BACKEND_NAMES,
): Promise<Map<string, string>> {
  const probes = await makeContext(opts.root ? { root: opts.root } : {}).registry.probeSome(only);
  return new Map(probes.filter((b) => !b.probe.ok).map((b) => [b.name as string, b.probe.reason]));
}

export async function runMatrix(m: MatrixSpec, opts: MatrixOptions, lib: MatrixLibrary): Promise<CellResult[]> {
  mkdirSync(opts.logDir, { recursive: true });
  const available = await unavailableBackends(opts, m.backends);
  const results: CellResult[] = cellsOf(m).map((c) => ({ ...c, state: 'pending' }));
  opts.onUpdate?.(results);
  let next = 0;
  const worker = async () => {
    while (next < results.length) {
      const i = next++;
      results[i] = { ...results[i]!, state: 'running' };
      opts.onUpdate?.(results);
      results[i] = { ...results[i]!, ...(await runCell(results[i]!, m, available, opts, lib)) };
      opts.onUpdate?.(results);
    }
  };
  await Promise.all(Array.from({ length: Math.min(m.jobs, results.length) }, worker));
  return results;
}
