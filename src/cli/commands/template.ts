/** `berth template create|ls|inspect|rm` (docs/templates.md). `create` takes run's options (fast-args). */
import type { Argv, CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { parseFastArgs } from '../fast-args.js';
import { RUN_OPTIONS } from '../options/run-options.js';
import type { OptionDef } from '../options/option-table.js';
import { runInput } from './run.js';
import { ago } from '../output.js';
import { printList, withListFormat } from '../list-output.js';

export const TEMPLATE_CREATE_USAGE = 'create <name> [OPTIONS] [IMAGE] [-- SETUP COMMAND...] | create <name> --from ENV';
export const TEMPLATE_CREATE_DESCRIBE =
  'Make a template: run the setup command in a new environment and keep the result (microvm: the whole VM, memory and processes; container, chroot: the filesystem), or keep running environment ENV as it stands (--from; it runs on)';

export const TEMPLATE_CREATE_OPTIONS: readonly OptionDef[] = [
  {
    name: 'from',
    type: 'string',
    valueName: 'ENV',
    describe:
      'make the template of running environment ENV, which keeps running (microvm: memory and processes too; no other options)',
  },
  ...RUN_OPTIONS,
];

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

/** What a template keeps, in words. Pure. */
export function keptText(t: berth.TemplateRecord): string {
  return t.kept.processes ? 'filesystem, memory and processes' : 'filesystem only (processes are not kept)';
}

export async function templateCreateCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name.startsWith('-')) {
    throw new berth.SpecError('missing-template-name', 'template create needs a NAME first', {
      fix: 'e.g. berth template create py --backend microvm debian:bookworm -- apt-get install -y python3',
    });
  }
  const args = parseFastArgs(rest, TEMPLATE_CREATE_OPTIONS, { min: 0, max: 1 });
  const from = args.options.from as string | undefined;
  if (from !== undefined) {
    berth.refuseWithFrom([
      ...Object.keys(args.options)
        .filter((k) => k !== 'from')
        .map((k) => `--${k}`),
      ...args.positionals,
      ...args.command,
    ]);
  }
  const onWarning = (m: string) => process.stderr.write(`berth: warning: ${m}\n`);
  const t = await berth.createTemplate(name, from !== undefined ? { from, onWarning } : await runInput(args));
  process.stderr.write(
    `berth: template ${t.name} on ${t.backend}: kept ${keptText(t)}; made in ${t.createSeconds} s, ${mib(t.sizeBytes)} on disk\n`,
  );
  process.stdout.write(`${t.name}\n`);
  return 0;
}

const ls: CommandModule<object, { format: string }> = {
  command: 'ls',
  aliases: ['list'],
  describe: 'List templates',
  builder: (y) => withListFormat(y) as never,
  handler: async (a) => {
    printList(a.format, await berth.templates(), ['NAME', 'BACKEND', 'IMAGE', 'KEPT', 'SIZE', 'CREATED'], (t) => [
      t.name,
      t.backend,
      t.image,
      t.kept.processes ? 'vm' : 'filesystem',
      mib(t.sizeBytes),
      ago(t.createdAt),
    ]);
  },
};

const inspect: CommandModule<object, { names: string[] }> = {
  command: 'inspect <names..>',
  describe: 'Show templates as JSON: what was kept, the machine a clone must match, the clones',
  builder: (y) => y.positional('names', { type: 'string', array: true }) as never,
  handler: async (a) => {
    const out = [];
    for (const n of a.names) out.push(await berth.inspectTemplate(String(n)));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  },
};

const rm: CommandModule<object, { names: string[]; force: boolean }> = {
  command: 'rm <names..>',
  aliases: ['remove'],
  describe: 'Remove templates (refused while clones run, unless -f: running clones keep its files open)',
  builder: (y) =>
    y.positional('names', { type: 'string', array: true }).option('force', {
      alias: 'f',
      type: 'boolean',
      default: false,
      describe: 'remove even while clones run',
    }) as never,
  handler: async (a) => {
    for (const n of a.names) {
      await berth.removeTemplate(String(n), { force: a.force });
      process.stdout.write(`${n}\n`);
    }
  },
};

export function templateCommand(create: CommandModule): CommandModule {
  return {
    command: 'template <command>',
    describe: 'Templates: snapshot an environment once, start many clones of it (run --template NAME)',
    builder: (y: Argv) =>
      y
        .command(create)
        .command(ls as CommandModule)
        .command(inspect as CommandModule)
        .command(rm as CommandModule)
        .demandCommand(1, 'name a template command') as never,
    handler: () => undefined,
  };
}
