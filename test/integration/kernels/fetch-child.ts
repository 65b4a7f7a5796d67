/**
 * A separate process resolving kernel `uml` into BERTH_ROOT=argv[2] from the mirror described
 * by the JSON in argv[3] (not the installed package): prints the kernel as JSON, or the error.
 */
import { resolveKernel } from '../../../src/kernels/resolve.js';
import { resolvePaths } from '../../../src/core/paths.js';

const [root, fetchJson] = process.argv.slice(2);
const paths = resolvePaths({ BERTH_ROOT: root! });
resolveKernel(paths, 'uml', {
  fetch: JSON.parse(fetchJson!) as object,
  noInstalled: true,
  progress: (m) => process.stderr.write(`${m}\n`),
}).then(
  (k) => process.stdout.write(`${JSON.stringify(k)}\n`),
  (e: unknown) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
