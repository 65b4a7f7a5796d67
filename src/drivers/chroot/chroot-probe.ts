/** Does the chroot backend work here? Shim built; as a normal user also user namespaces and rootless overlayfs. */
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Probe } from '../driver.js';
import { findNative, notBuiltReason } from '../../host/native-paths.js';
import { probeUserNamespaces } from '../../host/probes/userns.js';
import { probeOverlayfs } from '../../host/probes/overlayfs.js';
import { probeSubids } from '../../host/probes/subids.js';
import { cached } from '../../host/probe-cache.js';
import { namespaceInputs, sysctlValue, toolStamp } from '../../host/probe-inputs.js';
import { isRoot } from '../../core/paths.js';

const notNeeded = { ok: true, detail: 'not needed as root' };

/** The filesystem the rootless overlay try runs on (its device, not its ever-changing mtime). */
function deviceOf(dir: string): string {
  try {
    return String(statSync(dir).dev);
  } catch {
    return 'absent';
  }
}

export async function probeChroot(runtimeDir: string): Promise<Probe> {
  const shim = findNative('berth-shim');
  const details: Probe['details'] = { shim: shim ?? 'missing' };
  if (!shim) return { ok: false, reason: notBuiltReason('berth-shim'), details };
  const root = isRoot();
  const uid = process.getuid?.() ?? 0;
  // Only the real tries (an unshare each) are cached, keyed by what they depend on; reading the
  // sub-id files and helpers is cheap and always current. Root needs neither key (a PATH walk and
  // three sysctls on every run).
  const ns = root ? {} : namespaceInputs();
  const tmp = tmpdir();
  const [overlay, userns, subids] = await Promise.all([
    root
      ? probeOverlayfs()
      : cached(
          runtimeDir,
          `chroot-overlay-${uid}`,
          {
            ...ns,
            sh: toolStamp('sh'),
            dir: tmp,
            dev: deviceOf(tmp),
            filesystems: /\boverlay\b/.test(sysctlValue('/proc/filesystems')),
          },
          () => probeOverlayfs(),
        ),
    root ? Promise.resolve(notNeeded) : cached(runtimeDir, `chroot-userns-${uid}`, ns, () => probeUserNamespaces()),
    root ? Promise.resolve(notNeeded) : probeSubids(),
  ]);
  details.overlayfs = overlay.detail;
  details.userns = userns.detail;
  details.subids =
    subids.detail + (subids.ok ? '' : " (only the caller's own uid maps: -u other than root is refused)");
  if (!userns.ok) return { ok: false, reason: `user namespaces: ${userns.detail}`, details };
  if (!overlay.ok) return { ok: false, reason: `overlayfs: ${overlay.detail}`, details };
  return { ok: true, reason: '', details };
}
