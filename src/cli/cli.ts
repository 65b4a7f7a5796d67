/**
 * The CLI's parse and dispatch, as a function: argv in, exit status out (main.ts calls it; tests
 * drive it in-process). `run` and `exec` take the hot path: a zero-dependency parser and a direct
 * spawn of the native shim; `pull`, a plain `cp`, `ps`, `rm`, `stop`, `restart` and `kill` too. Everything else (and every --help) loads yargs lazily.
 */
import { runCommand } from './commands/run.js';
import { execCommand } from './commands/exec.js';
import { matrixTaskCommand } from './commands/matrix-task.js';
import { reapCommand } from './commands/session-reap.js';
import { createCommand } from './commands/create.js';
import { pullCommand } from './commands/pull.js';
import { cpFastCommand, isPlainCp } from './commands/cp.js';
import { LIST_VERBS, listVerbCommand } from './commands/list-verbs.js';
import { psCommand } from './commands/ps.js';
import { reportError } from './output.js';
import { VERSION } from '../index.js';

// The hidden verbs too: a cluster matrix starts a task and a session reaper per cell, all at once.
const HOT: Record<string, (argv: string[]) => Promise<number>> = {
  run: runCommand,
  exec: execCommand,
  create: createCommand,
  // Timed against skopeo (pull-throughput): yargs alone would be a fifth of skopeo's whole pull.
  pull: pullCommand,
  '__matrix-task': matrixTaskCommand,
  __reap: reapCommand,
  ps: psCommand,
  // rm, stop, restart, kill: what test scripts call after every run.
  ...Object.fromEntries(LIST_VERBS.map((v) => [v.verb, listVerbCommand(v)])),
};

/** The verbs this bundle runs itself (unless asked for help); cold-verbs.ts lists the others. */
export const HOT_VERBS: readonly string[] = Object.keys(HOT);

function wantsHelp(rest: string[]): boolean {
  // Only flags before the first positional belong to berth; later ones belong to the command.
  for (const a of rest) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
    if (!a.startsWith('-')) return false;
  }
  return false;
}

export async function cli(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  // Hot too: what a user's scripts and a --berth-path check ask first.
  if (verb === '--version' && rest.length === 0) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const hot = verb ? HOT[verb] : undefined;
  try {
    if (hot && !wantsHelp(rest)) return await hot(rest);
    // `template create` takes run's options and a setup command: the same fast parser.
    if (verb === 'template' && rest[0] === 'create' && !wantsHelp(rest.slice(1))) {
      const { templateCreateCommand } = await import('./commands/template.js');
      return await templateCreateCommand(rest.slice(1));
    }
    if (verb === 'cp' && isPlainCp(rest)) return await cpFastCommand(rest);
    if (verb === 'pool' && rest[0] === 'create' && !wantsHelp(rest.slice(1))) {
      const { poolCreateCommand } = await import('./commands/pool.js');
      return await poolCreateCommand(rest.slice(1));
    }
    if (verb === '__pool-refill') {
      const { poolRefillCommand } = await import('./commands/pool.js');
      return await poolRefillCommand(rest);
    }
    const { yargsMain } = await import('./cold-main.js');
    return await yargsMain(argv);
  } catch (e) {
    return reportError(e);
  }
}
