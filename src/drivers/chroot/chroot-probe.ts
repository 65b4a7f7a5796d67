/** Does the chroot backend work here? Shim built; as a normal user also user namespaces and rootless overlayfs. */
import type { Probe } from '../driver.js';
import { findNative, notBuiltReason } from '../../host/native-paths.js';
import { probeUserNamespaces } from '../../host/probes/userns.js';
import { probeOverlayfs } from '../../host/probes/overlayfs.js';
import { probeSubids } from '../../host/probes/subids.js';
import { cached } from '../../host/probe-cache.js';
import { isRoot } from '../../core/paths.js';

export async function probeChroot(runtimeDir: string): Promise<Probe> {
  const shim = findNative('berth-shim');
  const details: Probe['details'] = { shim: shim ?? 'missing' };
  if (!shim) return { ok: false, reason: notBuiltReason('berth-shim'), details };
  const host = await cached(runtimeDir, `chroot-${process.getuid?.() ?? 0}`, async () => {
    const root = isRoot();
    const [overlay, userns, subids] = await Promise.all([
      probeOverlayfs(),
      root ? Promise.resolve({ ok: true, detail: 'not needed as root' }) : probeUserNamespaces(),
      root ? Promise.resolve({ ok: true, detail: 'not needed as root' }) : probeSubids(),
    ]);
    return { overlay, userns, subids };
  });
  details.overlayfs = host.overlay.detail;
  details.userns = host.userns.detail;
  details.subids = host.subids.detail + (host.subids.ok ? '' : ' (only the caller\'s own uid maps: -u other than root is refused)');
  if (!host.userns.ok) return { ok: false, reason: `user namespaces: ${host.userns.detail}`, details };
  if (!host.overlay.ok) return { ok: false, reason: `overlayfs: ${host.overlay.detail}`, details };
  return { ok: true, reason: '', details };
}
