// What the machine's own network namespace holds that a test could have made: its links and its
// nftables tables, one string each (scripts/test.mjs compares them before and after a root run).
import { spawnSync } from 'node:child_process';

export function hostNetworkThings() {
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '';
  const tables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout ?? '';
  return [
    ...links
      .split('\n')
      .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
      .filter(Boolean)
      .map((n) => `link ${n}`),
    ...tables
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('table '))
      .map((l) => l.replace(/^table /, 'nft table ')),
  ];
}
