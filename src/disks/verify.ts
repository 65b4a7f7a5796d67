/** Checks the VM conformance tests use: a base's digest, and how much host disk a file really takes. */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { diskTool, runDiskTool } from '../host/disk-tools.js';
import { type Qcow2Info, parseQemuImgInfo, qemuImgInfoArgv } from './qcow2-cmdline.js';

/** sha256 of the whole base file ("sha256:<hex>"): unchanged after an environment wrote to its overlay. */
export async function baseDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** Bytes the file occupies on the host (allocated blocks, as `du`), not its apparent size. */
export function allocatedBytes(path: string): number {
  return statSync(path).blocks * 512;
}

/** qemu-img's view of an overlay (virtual size, allocated size, backing file). */
export async function qcow2Info(path: string): Promise<Qcow2Info> {
  const out = await runDiskTool(qemuImgInfoArgv(diskTool('qemu-img'), path), `qemu-img info ${path}`);
  return parseQemuImgInfo(out.stdout);
}
