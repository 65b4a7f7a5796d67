/** `berth pool create|ls|rm` (docs/pools.md) and the hidden `__pool-refill`. `create` takes run's options (fast-args). */
import type { Argv, CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { parseFastArgs } from '../fast-args.js';
import { RUN_OPTIONS } from '../options/run-options.js';
import type { OptionDef } from '../options/option-table.js';
import { runInput } from './run.js';
import { ago } from '../output.js';
import { printList, withListFormat } from '../list-output.js';

export const POOL_CREATE_USAGE = 'create <name> --size N [OPTIONS] [IMAGE]';
export const POOL_CREATE_DESCRIBE =
  'Make a warm pool: boot N environments of IMAGE with these run options and keep them idle for run --pool NAME';

export const POOL_CREATE_OPTIONS: readonly OptionDef[] = [
  { name: 'size', type: 'string', valueName: 'N', describe: 'how many idle environments to keep booted (1 to 64)' },
  ...RUN_OPTIONS.filter((o) => o.name !== 'pool'),
];

export async function poolCreateCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name.startsWith('-')) {
    throw new berth.SpecError('missing-pool-name', 'pool create needs a NAME first', {
      fix: 'e.g. berth pool create web --size 2 --backend uml busybox',
    });
  }
  const args = parseFastArgs(rest, POOL_CREATE_OPTIONS, { min: 0, max: 1 });
  const size = berth.parsePoolSize(args.options.size as string | undefined);
  const input = await runInput(args);
  const p = await berth.createPool(name, { ...input, size });
  process.stderr.write(`berth: pool ${p.name} on ${p.backend}: ${p.idle} of ${p.size} idle\n`);
  process.stdout.write(`${p.name}\n`);
  return 0;
}

/** Hidden: the refill a claim starts (src/api/pools.ts startRefill). */
export async function poolRefillCommand(argv: string[]): Promise<number> {
  const [name] = argv;
  if (!name || argv.length !== 1)
    throw new berth.SpecError('usage', 'berth __pool-refill takes NAME (run --pool starts it)', {
      fix: 'leave it to run --pool',
    });
  await berth.refillPool(name);
  return 0;
}

const ls: CommandModule<object, { format: string }> = {
  command: 'ls',
  aliases: ['list'],
  describe: 'List warm pools with their idle and booting environments',
  builder: (y) => withListFormat(y) as never,
  handler: async (a) => {
    printList(
      a.format,
      await berth.pools(),
      ['NAME', 'BACKEND', 'IMAGE', 'SIZE', 'IDLE', 'BOOTING', 'CREATED'],
      (p) => [p.name, p.backend, p.image, String(p.size), String(p.idle), String(p.booting), ago(p.createdAt)],
    );
  },
};

const rm: CommandModule<object, { names: string[]; force: boolean }> = {
  command: 'rm <names..>',
  aliases: ['remove'],
  describe:
    'Remove warm pools and their idle environments (refused while environments claimed from one run, unless -f)',
  builder: (y) =>
    y.positional('names', { type: 'string', array: true }).option('force', {
      alias: 'f',
      type: 'boolean',
      default: false,
      describe: 'remove the environments claimed from it that still run, too',
    }) as never,
  handler: async (a) => {
    for (const n of a.names) {
      await berth.removePool(String(n), { force: a.force });
      process.stdout.write(`${n}\n`);
    }
  },
};

export function poolCommand(create: CommandModule): CommandModule {
  return {
    command: 'pool <command>',
    describe: 'Warm pools: environments booted ahead and kept idle, claimed by run --pool NAME',
    builder: (y: Argv) =>
      y
        .command(create)
        .command(ls as CommandModule)
        .command(rm as CommandModule)
        .demandCommand(1, 'name a pool command') as never,
    handler: () => undefined,
  };
}
