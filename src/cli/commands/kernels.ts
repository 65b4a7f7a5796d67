import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table } from '../output.js';
import { isProgressTerminal, terminalProgress } from '../progress-hook.js';

export const kernelsCommand: CommandModule<object, { json: boolean; fetch?: string }> = {
  command: 'kernels',
  describe: 'List the kernels for the uml and microvm backends: cached versions and the ones available to fetch',
  builder: (y) =>
    y.option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }).option('fetch', {
      type: 'string',
      describe:
        "fetch and verify this kernel (NAME) into the cache now, from the Debian mirror (BERTH_DEBIAN_MIRROR, else the host's apt sources)",
    }) as never,
  handler: async (a) => {
    if (a.fetch !== undefined) {
      // On a terminal: the lines above a spinner with the bytes of each download; else plain lines.
      const tty = isProgressTerminal();
      const progress = terminalProgress({ lines: true });
      const k = await berth
        .kernel(
          a.fetch,
          tty
            ? { onProgress: progress, onTransfer: progress.transfer }
            : { onProgress: (m) => process.stderr.write(`berth: ${m}\n`) },
        )
        .finally(() => progress(null));
      if (!a.json)
        process.stderr.write(
          `berth: kernel ${k.name} ${k.version}${k.release ? ` (${k.release})` : ''} ready: ${k.kernel}\n`,
        );
    }
    const list = await berth.kernels();
    if (a.json) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    const rows: string[][] = [];
    for (const k of list) {
      if (k.cached.length === 0) rows.push([k.name, '-', '-', 'available', k.package, k.description]);
      for (const c of k.cached)
        rows.push([k.name, c.version, c.release ?? '-', `cached (${c.origin})`, k.package, c.kernel]);
    }
    process.stdout.write(table(['NAME', 'VERSION', 'RELEASE', 'STATUS', 'PACKAGE', 'KERNEL'], rows));
  },
};
