/**
 * Rootless layers get the image's owners (ADR 0014): after the unpack, a small cold node
 * entry (apply-owners-main) runs under `berth-shim unshare` with the caller's sub-id maps and
 * chowns each file to what `<layer>.meta.json` records, so inside a rootless environment
 * `stat` shows the image's uid/gid/mode. Without sub-ids, files stay the caller's (root
 * inside) and this is said once per process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageError } from '../../core/errors.js';
import { rootlessIdMaps } from '../../host/id-maps.js';
import { shimPath } from '../../host/native-paths.js';
import { unshareArgv } from '../../host/shim-cmdline.js';
import { maxMappedId } from './owner-plan.js';

let saidNoSubids = false;

/** The entry script: beside this module when compiled by tsc, dist/apply-owners.mjs when bundled. */
export function applyOwnersScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'apply-owners-main.js'),
    join(here, 'apply-owners.mjs'),
    join(here, '..', 'apply-owners.mjs'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new ImageError('layer_owners_missing', `berth's apply-owners entry is missing (looked in ${here})`, {
      fix: 'rebuild berth (npm run build)',
    });
  return found;
}

export interface ApplyOwnersResult {
  changed: number;
  unmappedCount: number;
  mapped: boolean;
}

export async function applyLayerOwners(
  layerDir: string,
  metaPath: string,
  onWarning: (m: string) => void = () => {},
): Promise<ApplyOwnersResult> {
  const maps = rootlessIdMaps();
  if (!maps.full) {
    if (!saidNoSubids) {
      saidNoSubids = true;
      const user = userInfo().username;
      onWarning(
        `no subordinate ids for ${user} (/etc/subuid, /etc/subgid, newuidmap): image files owned by other users appear owned by root inside; add a range for ${user} to keep them`,
      );
    }
    return { changed: 0, unmappedCount: 0, mapped: false };
  }
  const argv = unshareArgv(shimPath(), maps.uid, maps.gid, [
    process.execPath,
    applyOwnersScript(),
    layerDir,
    metaPath,
    String(maxMappedId(maps.uid)),
    String(maxMappedId(maps.gid)),
  ]);
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    },
  );
  if (code !== 0) {
    throw new ImageError(
      'layer_owners_failed',
      `cannot give the layer its owners: ${stderr.trim().split('\n').pop() || `exit ${code}`}`,
      {
        fix: 'check /etc/subuid and /etc/subgid for your user and that newuidmap/newgidmap work',
      },
    );
  }
  const r = JSON.parse(stdout.trim()) as { changed: number; unmapped: string[]; unmappedCount: number };
  if (r.unmappedCount > 0) {
    onWarning(
      `${r.unmappedCount} layer entries have ids beyond your sub-id range and stay owned by you (e.g. ${r.unmapped.slice(0, 3).join(', ')})`,
    );
  }
  return { changed: r.changed, unmappedCount: r.unmappedCount, mapped: true };
}
