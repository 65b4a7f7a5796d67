/**
 * Does the uml backend work here? The kernel binary, the guest init, a run dir that allows
 * exec (UML maps its memory from a file in $TMPDIR with exec rights), and ptrace (UML traces
 * its own processes). Says why not; never throws.
 */
import { tmpdir } from 'node:os';
import type { Probe } from '../driver.js';
import { probeNoexec, probePtraceScope } from '../../host/probes/index.js';
import { findExecutable } from '../../host/probes/exec.js';
import { findNative } from '../../host/native-paths.js';
import { resolveUmlKernel } from './uml-kernel.js';

export async function probeUml(runtimeDir: string): Promise<Probe> {
  const details: Probe['details'] = {};
  let kernel: string;
  try {
    kernel = resolveUmlKernel().path;
    details.kernel = kernel;
  } catch (e) {
    return { ok: false, reason: (e as Error).message, details };
  }
  const init = findNative('berth-guest-init');
  details.guestInit = init ?? 'missing';
  if (!init) return { ok: false, reason: 'the guest init berth-guest-init is not built (npm run build)', details };
  const [noexec, ptrace] = await Promise.all([probeNoexec([process.env.TMPDIR || tmpdir(), runtimeDir]), probePtraceScope()]);
  details.noexec = noexec.detail;
  details.ptrace = ptrace.detail;
  if (!noexec.ok) return { ok: false, reason: `the uml kernel cannot map its memory with exec rights: ${noexec.detail} (set TMPDIR to a directory that allows exec)`, details };
  if (!ptrace.ok) return { ok: false, reason: ptrace.detail, details };
  for (const tool of ['mke2fs', 'cpio']) {
    if (!findExecutable(tool)) return { ok: false, reason: `${tool} is missing (install ${tool === 'mke2fs' ? 'e2fsprogs' : 'cpio'})`, details };
  }
  details.mconsole = findExecutable('uml_mconsole') ? 'uml_mconsole found (pause works)' : 'uml_mconsole missing: pause/unpause unavailable (install uml-utilities)';
  return { ok: true, reason: '', version: kernel, details };
}
