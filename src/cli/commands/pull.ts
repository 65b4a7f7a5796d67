import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table, ago } from '../output.js';
import { terminalProgress } from '../progress-hook.js';

export const pullCommand: CommandModule<object, { ref: string; 'insecure-registry': string[] | undefined; quiet: boolean }> = {
  command: 'pull <ref>',
  describe: 'Pull an image from a registry (every blob verified by its digest)',
  builder: (y) => y
    .positional('ref', { type: 'string', describe: 'REGISTRY/REPO[:TAG|@sha256:DIGEST]' })
    .option('insecure-registry', { type: 'string', array: true, describe: 'plain http for this registry (loopback always)' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the digest' }) as never,
  handler: async (a) => {
    const progress = a.quiet ? undefined : terminalProgress();
    const img = await berth.pull(a.ref, { ...(a['insecure-registry'] ? { insecure: a['insecure-registry'] } : {}), ...(progress ? { onProgress: progress } : {}) });
    progress?.(null);
    process.stdout.write(a.quiet ? `${img.digest}\n` : `${img.ref}@${img.digest}\n`);
  },
};

export const imagesCommand: CommandModule<object, { format: string }> = {
  command: 'images',
  describe: 'List pulled images (the builtin busybox is always there)',
  builder: (y) => y.option('format', { type: 'string', choices: ['table', 'json'], default: 'table', describe: 'output format' }) as never,
  handler: async (a) => {
    const list = await berth.images();
    if (a.format === 'json') {
      process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      return;
    }
    process.stdout.write(table(['IMAGE', 'DIGEST', 'PULLED'], list.map((i) => [i.ref, i.digest.slice(0, 19), ago(i.pulledAt)])));
  },
};
