/**
 * Remove an unpacked layer. Rootless layers hold files owned by the caller's sub-ids
 * (ADR 0014), which the caller cannot delete directly: `berth-shim rmtree --userns` removes
 * them inside the same id mapping.
 */
import { existsSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ImageError } from '../../core/errors.js';
import { rootlessIdMaps } from '../../host/id-maps.js';
import { shimPath } from '../../host/native-paths.js';
import { rmtreeArgv } from '../../host/shim-cmdline.js';
import { removeTree } from '../../host/probes/overlayfs.js';

export function removeLayerDir(dir: string, rootless: boolean): void {
  if (!existsSync(dir)) return;
  if (!rootless || !rootlessIdMaps().full) {
    removeTree(dir);
    if (existsSync(dir))
      throw new ImageError('layer_remove_failed', `cannot remove ${dir}`, { fix: 'remove it by hand as root' });
    return;
  }
  const maps = rootlessIdMaps();
  const [cmd, ...args] = rmtreeArgv(shimPath(), dir, true, maps.uid, maps.gid);
  const r = spawnSync(cmd!, args, { encoding: 'utf8' });
  if (r.status !== 0 || existsSync(dir)) {
    throw new ImageError(
      'layer_remove_failed',
      `cannot remove ${dir}: ${(r.stderr ?? '').trim() || `exit ${r.status}`}`,
      { fix: 'remove it by hand as root' },
    );
  }
}

/** A layer dir and its meta.json sidecar. */
export function removeLayer(dir: string, rootless: boolean): void {
  removeLayerDir(dir, rootless);
  rmSync(`${dir}.meta.json`, { force: true });
}
