/** `berth cp ENV:PATH DEST|-` and `berth cp SRC|- ENV:PATH`: Docker's cp, on every backend. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

/** `ENV:PATH` when a colon comes before any slash (a local path with a colon: write ./a:b). */
function envPath(arg: string): { env: string; path: string } | undefined {
  const colon = arg.indexOf(':');
  if (colon <= 0 || arg.slice(0, colon).includes('/')) return undefined;
  const path = arg.slice(colon + 1);
  if (path === '')
    throw new berth.SpecError('bad-path', `no path after "${arg}"`, {
      fix: `e.g. ${arg}/tmp (paths inside start at /)`,
    });
  // As Docker: a path inside is relative to the environment's /.
  return { env: arg.slice(0, colon), path: path.startsWith('/') ? path : `/${path}` };
}

/** SRC to DEST, one of them ENV:PATH. */
async function copy(srcArg: string, destArg: string): Promise<void> {
  // yargs hands a lone "-" over as "" (and an empty path names nothing): both are the stream.
  const src = srcArg === '' ? '-' : srcArg;
  const dest = destArg === '' ? '-' : destArg;
  const from = envPath(src);
  const to = envPath(dest);
  if (from && to)
    throw new berth.SpecError('env-to-env', 'copying between two environments is not supported', {
      fix: 'copy to the host first, then from there',
    });
  if (from) return berth.copyFrom(from.env, from.path, dest === '-' ? process.stdout : dest).then(() => undefined);
  if (to) return berth.copyTo(to.env, src === '-' ? process.stdin : src, to.path);
  throw new berth.SpecError('no-env-path', `neither "${src}" nor "${dest}" names a path in an environment`, {
    fix: 'write one side as ENV:PATH, e.g. berth cp web:/etc/hostname .',
  });
}

/**
 * The hot path (no yargs; a copy's MB/s is timed in the uml-channel bench): `cp SRC DEST` with no
 * option; anything else (an option, --help, a wrong count) is yargs' to parse and refuse.
 */
export function isPlainCp(argv: string[]): boolean {
  return argv.length === 2 && argv.every((a) => a === '-' || !a.startsWith('-'));
}

export async function cpFastCommand(argv: string[]): Promise<number> {
  await copy(argv[0]!, argv[1]!);
  return 0;
}

export const cpCommand: CommandModule<object, { src: string; dest: string }> = {
  command: 'cp <src> <dest>',
  describe:
    'Copy files or directories between an environment and the host (ENV:PATH on one side; - is a tar stream on stdin or stdout; DIR/. copies the contents)',
  builder: (y) =>
    y
      .positional('src', { type: 'string', describe: 'ENV:PATH, a host path, or - (a tar on stdin)' })
      .positional('dest', { type: 'string', describe: 'ENV:PATH, a host path, or - (a tar on stdout)' }) as never,
  handler: async (a) => {
    await copy(String(a.src), String(a.dest));
  },
};
