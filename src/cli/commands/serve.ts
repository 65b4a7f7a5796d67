import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { defaultSocketPath, parseTcp, serve } from '../../serve/index.js';

interface ServeArgs {
  socket?: string;
  tcp?: string;
  backend?: string;
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Serve the Docker Engine API (1.44 subset) so the docker CLI and testcontainers run on berth',
  builder: (y) =>
    y
      .option('socket', {
        type: 'string',
        requiresArg: true,
        describe:
          'unix socket to listen on (mode 0600); default $XDG_RUNTIME_DIR/berth/docker.sock, root: /run/berth/docker.sock',
      })
      .option('tcp', {
        type: 'string',
        requiresArg: true,
        describe: 'also listen on 127.0.0.1:PORT (loopback only: the API has no authentication)',
      })
      .option('backend', {
        type: 'string',
        requiresArg: true,
        choices: ['auto', ...berth.BACKEND_NAMES],
        describe: 'backend of containers without a berth.backend label; default: the backend setting (see berth run)',
      })
      .epilogue(
        'Clients: DOCKER_HOST=unix://SOCKET docker run --rm busybox echo hi. Stop with Ctrl-C or SIGTERM: the socket file is removed; containers keep running.',
      ) as never,
  handler: async (a) => {
    const socket = a.socket ?? defaultSocketPath(process.getuid?.() ?? 0, process.env);
    const tcp = a.tcp !== undefined ? parseTcp(a.tcp) : undefined;
    const server = await serve({
      socket,
      ...(tcp ? { tcp } : {}),
      ...(a.backend ? { backend: a.backend } : {}),
      onError: (e) => process.stderr.write(`berth serve: ${berth.isBerthError(e) ? e.oneLine() : String(e)}\n`),
    });
    process.stderr.write(
      `berth: serving the Docker API on unix://${server.socket}${server.tcp ? ` and tcp://${server.tcp}` : ''}\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void server.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    // Waits on containers still running are abandoned: they run on, as with dockerd.
    process.exit(0);
  },
};
