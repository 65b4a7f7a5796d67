/** All host probes; each returns a Finding and never throws. */
import type { Finding } from './finding.js';
import { probeUserNamespaces } from './userns.js';
import { probeOverlayfs } from './overlayfs.js';
import { probeSubids } from './subids.js';
import { probeCgroups } from './cgroups.js';
import { probeKvm } from './kvm.js';
import { probeHostTools } from './tools.js';
import { probeKernel, probeNoexec, probePtraceScope } from './kernel.js';
import { probeCriu } from './criu.js';

export type { Finding } from './finding.js';
export { probeUserNamespaces } from './userns.js';
export { probeOverlayfs, hasFilesystem, removeTree } from './overlayfs.js';
export { probeSubids, parseSubidFile, readSubids, type SubidRange, type Subids } from './subids.js';
export {
  probeCgroups,
  parseCgroupMounts,
  parseProcCgroup,
  detectCgroups,
  cgroupFinding,
  type CgroupMounts,
  type CgroupInfo,
  type CgroupLayout,
  type CgroupV1Mount,
  type CgroupV2Mount,
} from './cgroups.js';
export { probeKvm } from './kvm.js';
export { probeCriu, criuCheckReason } from './criu.js';
export {
  probeTool,
  probeHostTool,
  probeHostTools,
  isStaticElf,
  fileIsStaticElf,
  HOST_TOOLS,
  type HostToolName,
  type ToolSpec,
} from './tools.js';
export { probeKernel, probePtraceScope, probeNoexec, isNoexec } from './kernel.js';
export { parseMountinfo, mountFor, type MountEntry } from './mountinfo.js';
export { findExecutable } from './exec.js';

/** Every probe, run concurrently; keys are stable names for `berth doctor`. */
export async function probeAll(
  opts: { overlayDir?: string; runtimeDir?: string } = {},
): Promise<Record<string, Finding>> {
  const [userns, overlayfs, subids, cgroups, kvm, kernel, ptrace, noexec, tools, criu] = await Promise.all([
    probeUserNamespaces(),
    probeOverlayfs(opts.overlayDir === undefined ? {} : { dir: opts.overlayDir }),
    probeSubids(),
    probeCgroups(),
    probeKvm(),
    probeKernel(),
    probePtraceScope(),
    opts.runtimeDir === undefined ? probeNoexec() : probeNoexec(['/tmp', opts.runtimeDir]),
    probeHostTools(),
    probeCriu(),
  ]);
  const out: Record<string, Finding> = {
    kernel,
    userns,
    overlayfs,
    subids,
    cgroups,
    kvm,
    ptrace_scope: ptrace,
    noexec,
    criu,
  };
  for (const [k, v] of Object.entries(tools)) out[`tool:${k}`] = v;
  return out;
}
