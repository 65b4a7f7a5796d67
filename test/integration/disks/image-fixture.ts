/**
 * A two-layer OCI image written straight into a berth store (no registry): owners, setuid,
 * a device, a hardlink, a capability xattr, a whiteout and an opaque dir, each byte chosen here.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TAR_END, type TarWriteEntry, tarHeader, tarPadding } from '../../../src/images/unpack/tar-writer.js';
import { ImageIndex } from '../../../src/images/store/image-index.js';
import { parseImageRef } from '../../../src/images/ref.js';

export const LAYERED_REF = 'localhost/disktest:1';

/** security.capability v2 granting cap_net_raw (bit 13), effective. */
export const NET_RAW_CAP = (() => {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0x02000001, 0);
  b.writeUInt32LE(1 << 13, 4);
  return b;
})();

const MTIME = 1_700_000_000;

function tar(entries: TarWriteEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    parts.push(tarHeader({ mtime: MTIME, uid: 0, gid: 0, ...e, size: e.type === '0' ? data.length : 0 }));
    if (e.type === '0' && data.length > 0) parts.push(data, tarPadding(data.length));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

const dir = (path: string, mode = 0o755, uid = 0, gid = 0): TarWriteEntry => ({ path, type: '5', mode, uid, gid });
const file = (
  path: string,
  text: string,
  mode = 0o644,
  uid = 0,
  gid = 0,
  pax?: Record<string, Buffer>,
): TarWriteEntry => ({ path, type: '0', mode, uid, gid, data: Buffer.from(text), ...(pax ? { pax } : {}) });

export const LOWER = tar([
  dir('./'),
  dir('bin/'),
  file('bin/ping', 'ping\n', 0o755, 0, 0, { 'SCHILY.xattr.security.capability': NET_RAW_CAP }),
  dir('etc/'),
  file('etc/shadow', 'root:*:1::::::\n', 0o640, 0, 42),
  file('etc/gone', 'deleted above\n'),
  dir('usr/'),
  dir('usr/bin/'),
  file('usr/bin/passwd', 'passwd\n', 0o4755),
  dir('home/'),
  dir('home/u/', 0o750, 1000, 1000),
  file('home/u/f', 'mine\n', 0o600, 1000, 1000),
  { path: 'home/u/hl', type: '1', linkpath: 'home/u/f', mode: 0o600, uid: 1000, gid: 1000 },
  dir('opq/'),
  file('opq/old', 'hidden by the opaque dir above\n'),
  dir('dev/'),
  { path: 'dev/null', type: '3', mode: 0o666, devmajor: 1, devminor: 3 },
  dir('tmp/', 0o1777),
]);

export const UPPER = tar([
  dir('etc/'),
  file('etc/.wh.gone', ''),
  file('etc/upper', 'upper\n', 0o600, 0, 5),
  dir('opq/'),
  file('opq/.wh..wh..opq', ''),
  file('opq/new', 'new\n'),
]);

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Store the image in `<imagesDir>` as a pull would have; returns the manifest digest. */
export async function storeLayeredImage(imagesDir: string): Promise<string> {
  const blobs = join(imagesDir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer) => {
    const d = sha(b);
    writeFileSync(join(blobs, d.slice(7)), b);
    return d;
  };
  const layers = [LOWER, UPPER].map((l) => ({
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    digest: put(l),
    size: l.length,
  }));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
      layers,
    }),
  );
  const digest = put(manifest);
  await new ImageIndex(imagesDir).put({
    ref: parseImageRef(LAYERED_REF).canonical,
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: manifest.length,
    manifestDigest: digest,
  });
  return digest;
}
