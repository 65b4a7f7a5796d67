/** `berth network create|ls|inspect|rm`: bridge networks (root); each subcommand in its own file. */
import type { CommandModule } from 'yargs';
import { networkCreateCommand } from './network-create.js';
import { networkLsCommand } from './network-ls.js';
import { networkInspectCommand } from './network-inspect.js';
import { networkRmCommand } from './network-rm.js';

export const networkCommand: CommandModule = {
  command: 'network <command>',
  describe: 'Manage bridge networks (environments on one reach each other by name: /etc/hosts and DNS)',
  builder: (y) =>
    y
      .command(networkCreateCommand as CommandModule)
      .command(networkLsCommand as CommandModule)
      .command(networkInspectCommand as CommandModule)
      .command(networkRmCommand as CommandModule)
      .demandCommand(1, 'name a network command'),
  handler: () => undefined,
};
