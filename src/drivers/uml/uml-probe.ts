/**
 * Does the uml backend work here? The kernel binary, the guest init, a run dir that allows
 * exec (UML maps its memory from a file in $TMPDIR with exec rights), and ptrace (UML traces
 * its own processes). Says why not; never throws.
 */
import { tmpdir } from 'node:os';
import type { Probe } from '../driver.js';
import { probeNoexec, probePtraceScope } from '../../host/probes/index.js';
import { findExecutable } from '../../host/probes/exec.js';
import { findNative, notBuiltReason } from '../../host/native-paths.js';
import { accessSync, constants } from 'node:fs';
import type { Paths } from '../../core/paths.js';
import { cachedVersions } from '../../kernels/cache.js';
import { UML_MANIFEST } from './uml-kernel.js';
import { findSlirp } from './slirp-helper.js';

/** Installed by Debian's user-mode-linux package; used when it is the archive's version. */
const INSTALLED_UML = '/usr/bin/linux.uml';

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the kernel comes from: an override, the cache, the installed package, or (none of them)
 * the mirror on first use, as images are pulled (`--pull never` then refuses).
 */
function localKernel(paths: Paths, installed: string): { ok: boolean; detail: string } {
  const override = process.env.BERTH_UML_KERNEL;
  if (override)
    return executable(override)
      ? { ok: true, detail: override }
      : { ok: false, detail: `the User-mode Linux kernel ${override} is missing or not executable (BERTH_UML_KERNEL)` };
  const cached = cachedVersions(paths.kernels, UML_MANIFEST)[0];
  if (cached) return { ok: true, detail: `cached ${UML_MANIFEST} ${cached.record.version}` };
  if (executable(installed)) return { ok: true, detail: `${installed} (user-mode-linux package)` };
  return {
    ok: true,
    detail: 'none here yet: fetched from the Debian mirror on first use (or now: berth kernels --fetch uml)',
  };
}

/** `installedUml`: where the user-mode-linux package puts the kernel (a parameter for tests). */
export async function probeUml(paths: Paths, installedUml = INSTALLED_UML): Promise<Probe> {
  const runtimeDir = paths.runtime;
  const details: Probe['details'] = {};
  const k = localKernel(paths, installedUml);
  details.kernel = k.detail;
  if (!k.ok) return { ok: false, reason: k.detail, details };
  const kernel = k.detail;
  const init = findNative('berth-guest-init');
  details.guestInit = init ?? 'missing';
  if (!init) return { ok: false, reason: notBuiltReason('berth-guest-init'), details };
  const [noexec, ptrace] = await Promise.all([
    probeNoexec([process.env.TMPDIR || tmpdir(), runtimeDir]),
    probePtraceScope(),
  ]);
  details.noexec = noexec.detail;
  details.ptrace = ptrace.detail;
  if (!noexec.ok)
    return {
      ok: false,
      reason: `the uml kernel cannot map its memory with exec rights: ${noexec.detail} (set TMPDIR to a directory that allows exec)`,
      details,
    };
  if (!ptrace.ok) return { ok: false, reason: ptrace.detail, details };
  for (const [tool, pkg] of [
    ['mke2fs', 'e2fsprogs'],
    ['debugfs', 'e2fsprogs'],
  ]) {
    if (!findExecutable(tool!)) return { ok: false, reason: `${tool} is missing (install ${pkg})`, details };
  }
  details.network = findSlirp()
    ? `${findSlirp()} (--network user works)`
    : 'slirp missing: --network user unavailable (install slirp)';
  details.mconsole = findExecutable('uml_mconsole')
    ? 'uml_mconsole found (pause works)'
    : 'uml_mconsole missing: pause/unpause unavailable (install uml-utilities)';
  return { ok: true, reason: '', version: kernel, details };
}
