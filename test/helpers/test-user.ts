/** The unprivileged user the tests run berth as (created when the tests run as root). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const TEST_USER = 'berth-test';

function lookup(): { uid: number; gid: number; home: string } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${TEST_USER}:`));
  if (!line) return undefined;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

function hasRange(file: string): boolean {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .some((l) => l.startsWith(`${TEST_USER}:`));
  } catch {
    return false;
  }
}

export function ensureTestUser(): { uid: number; gid: number; home: string } {
  let u = lookup();
  if (!u) {
    const r = spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', TEST_USER], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`useradd ${TEST_USER} failed: ${r.stderr}`);
    u = lookup()!;
  }
  if (!hasRange('/etc/subuid') || !hasRange('/etc/subgid')) {
    const r = spawnSync('usermod', ['--add-subuids', '300000-365535', '--add-subgids', '300000-365535', TEST_USER], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`usermod --add-subuids failed: ${r.stderr}`);
  }
  return u;
}
