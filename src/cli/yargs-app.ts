/** Every verb through yargs: help text, validation, and the verbs off the hot path. */
import yargs, { type Argv, type CommandModule } from 'yargs';
import type { OptionDef } from './options/option-table.js';
import { REPEATABLE, PARSER_CONFIGURATION, lastOfRepeated } from './options/repeatable.js';
import { refuseHugeShortGroups } from './options/short-groups.js';
import { RUN_OPTIONS, EXEC_OPTIONS } from './options/run-options.js';
import { RUN_USAGE, RUN_DESCRIBE, runCommand } from './commands/run.js';
import { EXEC_USAGE, EXEC_DESCRIBE, execCommand } from './commands/exec.js';
import { CREATE_USAGE, CREATE_DESCRIBE, createCommand } from './commands/create.js';
import { startCommand } from './commands/start.js';
import { attachCommand } from './commands/attach.js';
import { cpCommand } from './commands/cp.js';
import { portCommand } from './commands/port.js';
import { diffCommand } from './commands/diff.js';
import { renameCommand } from './commands/rename.js';
import { PS_DESCRIBE, PS_OPTIONS, PS_USAGE, psCommand } from './commands/ps.js';
import { logsCommand } from './commands/logs.js';
import { LIST_VERBS, listVerbCommand } from './commands/list-verbs.js';
import { waitCommand } from './commands/wait.js';
import { inspectCommand } from './commands/inspect.js';
import { doctorCommand } from './commands/doctor.js';
import { pauseCommand } from './commands/pause.js';
import { unpauseCommand } from './commands/unpause.js';
import { checkpointCommand } from './commands/checkpoint.js';
import { restoreCommand } from './commands/restore.js';
import { statsCommand } from './commands/stats.js';
import { topCommand } from './commands/top.js';
import { PULL_DESCRIBE, PULL_USAGE, pullCommand } from './commands/pull.js';
import { PULL_OPTIONS } from './options/pull-options.js';
import { imagesCommand } from './commands/images.js';
import { rmiCommand } from './commands/rmi.js';
import { pruneCommand } from './commands/prune.js';
import { tagCommand } from './commands/tag.js';
import { commitCommand } from './commands/commit.js';
import { matrixCommand } from './commands/matrix.js';
import { diskCommand } from './commands/disk.js';
import { kernelsCommand } from './commands/kernels.js';
import { saveCommand } from './commands/save.js';
import { loadCommand } from './commands/load.js';
import { exportCommand } from './commands/export.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { networkCommand } from './commands/network.js';
import {
  templateCommand,
  templateCreateCommand,
  TEMPLATE_CREATE_DESCRIBE,
  TEMPLATE_CREATE_USAGE,
  TEMPLATE_CREATE_OPTIONS,
} from './commands/template.js';
import {
  poolCommand,
  poolCreateCommand,
  POOL_CREATE_DESCRIBE,
  POOL_CREATE_OPTIONS,
  POOL_CREATE_USAGE,
} from './commands/pool.js';
import { serveCommand } from './commands/serve.js';
import { SpecError, VERSION } from '../index.js';
import { reportError } from './output.js';

function withTable(y: Argv, table: readonly OptionDef[]): Argv {
  for (const o of table) {
    y = y.option(o.name, {
      type: o.type,
      describe: o.describe,
      ...(o.short ? { alias: o.short } : {}),
      ...(o.multiple ? REPEATABLE : {}),
      ...(o.choices ? { choices: o.choices as string[] } : {}),
      ...(o.valueName && o.optionalValue === undefined ? { requiresArg: true } : {}),
    });
  }
  return y;
}

/** run/exec are parsed by fast-args; yargs only documents them and hands the raw argv over. */
function hotVerb(
  verb: string,
  usage: string,
  describe: string,
  table: readonly OptionDef[],
  fn: (argv: string[]) => Promise<number>,
  raw: string[],
): CommandModule {
  return {
    command: usage.replace(/^\w+/, verb),
    describe,
    builder: (y) => withTable(y, table),
    handler: async () => {
      process.exitCode = await fn(raw.slice(raw.indexOf(verb) + 1));
    },
  };
}

/** What yargs reports (its own usage errors, or a verb's error) as berth's error. */
function usageError(msg: string | undefined, err: Error | undefined): unknown {
  if (err && err.name !== 'YError') return err;
  return new SpecError('usage', (msg || err?.message || 'invalid arguments').replace(/\s*\n\s*/g, ' '), {
    fix: 'see berth --help',
  });
}

export async function yargsMain(argv: string[]): Promise<number> {
  try {
    refuseHugeShortGroups(argv);
  } catch (e) {
    return reportError(e);
  }
  const app = yargs(argv)
    .scriptName('berth')
    .parserConfiguration(PARSER_CONFIGURATION)
    .middleware(lastOfRepeated as never, true)
    .exitProcess(false)
    .usage(
      'berth: lightweight isolated Linux environments on chroot, container, uml or microvm backends\n\nUsage: berth <command> [options]',
    )
    .command(hotVerb('run', RUN_USAGE, RUN_DESCRIBE, RUN_OPTIONS, runCommand, argv))
    .command(hotVerb('exec', EXEC_USAGE, EXEC_DESCRIBE, EXEC_OPTIONS, execCommand, argv))
    .command(hotVerb('create', CREATE_USAGE, CREATE_DESCRIBE, RUN_OPTIONS, createCommand, argv))
    .command(LIST_VERBS.map((v) => hotVerb(v.verb, v.usage, v.describe, v.table, listVerbCommand(v), argv)))
    .command(startCommand as CommandModule)
    .command(attachCommand as CommandModule)
    .command(cpCommand as CommandModule)
    .command(portCommand as CommandModule)
    .command(diffCommand as CommandModule)
    .command(renameCommand as CommandModule)
    .command(hotVerb('ps', PS_USAGE, PS_DESCRIBE, PS_OPTIONS, psCommand, argv))
    .command(logsCommand as CommandModule)
    .command(waitCommand as CommandModule)
    .command(inspectCommand as CommandModule)
    .command(pauseCommand as CommandModule)
    .command(unpauseCommand as CommandModule)
    .command(checkpointCommand as CommandModule)
    .command(restoreCommand as CommandModule)
    .command(statsCommand as CommandModule)
    .command(topCommand as CommandModule)
    .command(hotVerb('pull', PULL_USAGE, PULL_DESCRIBE, PULL_OPTIONS, pullCommand, argv))
    .command(imagesCommand as CommandModule)
    .command(rmiCommand as CommandModule)
    .command(tagCommand as CommandModule)
    .command(commitCommand as CommandModule)
    .command(diskCommand as CommandModule)
    .command(saveCommand as CommandModule)
    .command(loadCommand as CommandModule)
    .command(exportCommand as CommandModule)
    .command(loginCommand as CommandModule)
    .command(logoutCommand as CommandModule)
    .command(pruneCommand)
    .command(matrixCommand as CommandModule)
    .command(kernelsCommand as CommandModule)
    .command(networkCommand)
    .command(
      templateCommand(
        hotVerb(
          'create',
          TEMPLATE_CREATE_USAGE,
          TEMPLATE_CREATE_DESCRIBE,
          TEMPLATE_CREATE_OPTIONS,
          templateCreateCommand,
          argv,
        ),
      ),
    )
    .command(
      poolCommand(
        hotVerb('create', POOL_CREATE_USAGE, POOL_CREATE_DESCRIBE, POOL_CREATE_OPTIONS, poolCreateCommand, argv),
      ),
    )
    .command(serveCommand as CommandModule)
    .command(doctorCommand as CommandModule)
    .demandCommand(1, 'name a command')
    .strict()
    .epilogue(
      'Exit status: the command\'s own, or 125 when berth itself fails, 126 when the command cannot be executed, 127 when it is not found.\nState: BERTH_ROOT overrides where berth keeps images and environments; BERTH_STORE moves images and kernels alone (a store hosts share).\nBackend: --backend > BERTH_BACKEND > "backend" in $XDG_CONFIG_HOME/berth/config.json (~/.config) > /etc/berth/config.json > auto.',
    )
    .help()
    .alias('help', 'h')
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns || 100))
    // Thrown, not recorded: yargs would go on to run the verb's handler without its arguments.
    .fail((msg, err) => {
      throw usageError(msg, err);
    });
  try {
    await app.parseAsync();
  } catch (e) {
    return reportError(e);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
