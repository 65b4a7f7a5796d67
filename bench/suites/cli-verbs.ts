/**
 * The CLI's verbs off `run`: each a whole `berth` command against one running chroot environment,
 * against Node's own start-up (`node -e 0`, the floor of any Node CLI; the baseline). `ps` and
 * `rm`-like verbs take the hot bundle; `inspect`, `logs`, `images`, `port` and `--help` the cold
 * one (yargs, ADR 0079). Test scripts call these after every run.
 */
import { mkdirSync } from 'node:fs';
import { BenchFailure, type Row, type Suite, runOnce } from '../harness.js';
import { privateBerth } from './common.js';

const ENV = 'bench-verbs';
const NODE = 'node -e 0';

export const cliVerbs: Suite = {
  name: 'cli-verbs',
  description: "berth's verbs other than run, each a whole command, against Node's own start-up",
  async prepare({ repo }) {
    const { root, env, berth, cleanup } = privateBerth(repo, 'berth-bench-verbs-', ENV);
    const rows: Row[] = [{ name: NODE, argv: [process.execPath, '-e', '0'] }];
    if (typeof berth === 'string') {
      rows.push({ name: 'berth ps', unavailable: berth });
      return { rows, baseline: NODE, cleanup };
    }
    try {
      mkdirSync(root);
      const start = [...berth, 'run', '-d', '-q', '--backend', 'chroot', '--name', ENV, 'busybox'];
      runOnce({ name: 'start', argv: [...start, 'sh', '-c', 'echo ready; exec sleep 1000000'], env }, 300_000);
      const verb = (name: string, args: string[]): Row => ({ name, argv: [...berth, ...args], env });
      rows.push(
        verb('berth ps', ['ps']),
        verb('berth inspect ENV', ['inspect', ENV]),
        verb('berth logs ENV', ['logs', ENV]),
        verb('berth port ENV', ['port', ENV]),
        verb('berth images', ['images']),
        verb('berth --help', ['--help']),
      );
      return { rows, baseline: NODE, cleanup };
    } catch (e) {
      cleanup();
      if (e instanceof BenchFailure) throw new BenchFailure(e.row, `untimed first run failed: ${e.message}`);
      throw e;
    }
  },
};
