/**
 * The package's second entry, `berth/serve` (ADR 0037): the Docker Engine API (1.44 subset) on
 * a unix socket, and on a loopback TCP port when asked, so Docker clients (the docker CLI,
 * testcontainers) create berth environments. Built on the library (src/index.ts), as the CLI is;
 * the library itself never loads it.
 */
import type { ServeOptions } from './server.js';

export type { ServeOptions, RunningServer } from './server.js';
export { defaultSocketPath, parseTcp } from './socket-path.js';

export async function serve(opts: ServeOptions) {
  const { startServer } = await import('./server.js');
  return startServer(opts);
}
