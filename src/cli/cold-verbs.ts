/**
 * The verbs only yargs handles: for these the loader (loader.ts) compiles the cold bundle alone and
 * never loads the hot one (ADR 0079). Every other argv goes to the hot bundle, which hands what it
 * does not take to the cold one itself, so a verb missing here is slower, never wrong;
 * test/unit/cli/cold-verbs.test.ts checks the list against the CLI's verbs.
 */
export const COLD_VERBS: ReadonlySet<string> = new Set([
  '--help',
  '-h',
  'attach',
  'checkpoint',
  'commit',
  'diff',
  'disk',
  'doctor',
  'export',
  'images',
  'inspect',
  'kernels',
  'load',
  'login',
  'logout',
  'logs',
  'matrix',
  'network',
  'pause',
  'port',
  'prune',
  'rename',
  'restore',
  'rmi',
  'save',
  'serve',
  'start',
  'stats',
  'tag',
  'top',
  'unpause',
  'wait',
]);
