/**
 * Fetching one binary package from the Debian archive BERTH_DEBIAN_MIRROR or the host's apt sources name, with
 * apt's verification chain: gpgv-verified InRelease -> SHA256 of the Packages index ->
 * SHA256 of the .deb (hashed while streaming).
 */
import type { TransferHook } from '../../core/transfer.js';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { ImageError } from '../../core/errors.js';
import { candidateSources, hostDebianSuite, type AptSource } from './apt-sources.js';
import { DEFAULT_KEYRING, debianSources } from './mirror-setting.js';
import { debianArch } from './arch.js';
import { verifyClearsigned } from './gpgv.js';
import { HttpFetchError, downloadHashed, getBuffer } from './http.js';
import { findPackage, type PackageEntry } from './packages-index.js';
import { parseRelease, type ReleaseInfo } from './release.js';

export { DEFAULT_KEYRING };

export interface DebFetchOptions {
  /** Root whose etc/apt and etc/os-release describe the host (default '/', where BERTH_DEBIAN_MIRROR applies). */
  root?: string;
  /** Use these entries instead of BERTH_DEBIAN_MIRROR or the host's apt sources. */
  sources?: AptSource[];
  /** Debian suite (codename) to use instead of the host's. */
  suite?: string;
  /** Debian architecture instead of the one Node runs on. */
  arch?: string;
  /** Keyring for entries without Signed-By (default debian-archive-keyring.gpg). */
  defaultKeyring?: string;
  /** gpgv binary (default: gpgv on PATH). */
  gpgv?: string;
  /** Socket idle timeout per request. */
  timeoutMs?: number;
  /** Bytes of the Packages index and .deb downloads. */
  onTransfer?: TransferHook;
}

export interface FetchedDeb {
  /** The verified .deb on disk (inside workDir). */
  path: string;
  url: string;
  sha256: string;
  entry: PackageEntry;
}

const FIX = 'install busybox-static';
const MAX_INRELEASE = 16 << 20;
const MAX_INDEX = 256 << 20;

export interface VerifiedArchive {
  base: string;
  /** The apt source entry it came from (its Signed-By keyring). */
  source: AptSource;
  suite: string;
  release: ReleaseInfo;
}

async function decompressIndex(path: string, data: Buffer): Promise<string> {
  if (path.endsWith('.gz')) return gunzipSync(data, { maxOutputLength: MAX_INDEX }).toString('utf8');
  if (path.endsWith('.xz')) {
    const { XzReadableStream } = (await import('xz-decompress')).default;
    const web = new XzReadableStream(Readable.toWeb(Readable.from([data])) as unknown as ReadableStream<Uint8Array>);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const c of Readable.fromWeb(web as unknown as import('node:stream/web').ReadableStream)) {
      total += (c as Buffer).length;
      if (total > MAX_INDEX) throw new Error('index too large');
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  return data.toString('utf8');
}

/** Find a source whose InRelease verifies and says Origin: Debian. */
export async function findDebianArchive(
  cands: AptSource[],
  suite: string,
  opts: DebFetchOptions,
  workDir: string,
  progress: (m: string) => void,
): Promise<VerifiedArchive> {
  const problems: Error[] = [];
  for (const src of cands) {
    for (const uri of src.uris) {
      if (!/^https?:\/\//.test(uri)) continue; // file:, cdrom:, mirror+ etc. are not supported
      const base = uri.replace(/\/+$/, '');
      const url = `${base}/dists/${suite}/InRelease`;
      progress(`fetching ${url}`);
      let signed: Buffer;
      try {
        signed = await getBuffer(url, MAX_INRELEASE, opts);
      } catch (e) {
        problems.push(e as Error);
        continue;
      }
      let text: string;
      try {
        text = await verifyClearsigned(signed, {
          keyrings: src.signedBy ?? (src.signedByKey ? [] : [opts.defaultKeyring ?? DEFAULT_KEYRING]),
          ...(src.signedByKey ? { inlineKey: src.signedByKey } : {}),
          workDir,
          what: url,
          ...(opts.gpgv ? { gpgv: opts.gpgv } : {}),
        });
      } catch (e) {
        problems.push(e as Error);
        continue;
      }
      const release = parseRelease(text);
      if (release.origin !== 'Debian') continue; // nodesource, cloud-sdk, ...: not the Debian archive
      if (release.codename !== suite && release.suite !== suite) {
        problems.push(
          new ImageError(
            'inrelease-wrong-suite',
            `${url} is signed for suite "${release.codename ?? release.suite}", not "${suite}"`,
            { fix: FIX },
          ),
        );
        continue;
      }
      if (release.validUntil && release.validUntil.getTime() < Date.now()) {
        problems.push(
          new ImageError('inrelease-expired', `${url} expired on ${release.validUntil.toISOString()}`, {
            fix: `the mirror is stale; use another mirror or ${FIX}`,
          }),
        );
        continue;
      }
      return { base, source: src, suite, release };
    }
  }
  // Prefer a verification problem over a plain network one: it is the one a user must see.
  const first = problems.find((p) => p instanceof ImageError || !(p instanceof HttpFetchError)) ?? problems[0];
  if (first instanceof ImageError || (first && !(first instanceof HttpFetchError))) throw first;
  throw new ImageError(
    'no-debian-archive',
    first
      ? `no Debian archive reachable for suite ${suite}: ${first.message}`
      : `no apt source is a Debian archive with ${suite}/main`,
    { fix: FIX, cause: first },
  );
}

/** A Packages index whose digest the signed InRelease vouches for. */
export interface VerifiedIndex {
  base: string;
  suite: string;
  arch: string;
  /** The stanza of package `name` for this arch (or all), or undefined. */
  find(name: string): PackageEntry | undefined;
}

/** Verify InRelease and fetch the Packages index it vouches for (into workDir). Throws ImageError/HostError. */
export async function openVerifiedIndex(
  workDir: string,
  opts: DebFetchOptions = {},
  progress: (m: string) => void = () => {},
): Promise<VerifiedIndex> {
  const root = opts.root ?? '/';
  const arch = opts.arch ?? debianArch();
  if (!arch) throw new ImageError('unknown-arch', `no Debian architecture for ${process.arch}`, { fix: FIX });
  const suite = opts.suite ?? (await hostDebianSuite(root));
  if (!suite) {
    throw new ImageError('no-debian-suite', 'this host is not Debian (no VERSION_CODENAME in /etc/os-release)', {
      fix: `${FIX}, or put a static busybox at /bin/busybox`,
    });
  }
  // A root named by the caller is read as it is; otherwise BERTH_DEBIAN_MIRROR, else the host's.
  const sources = opts.sources ?? (await debianSources(suite, root, opts.root === undefined ? process.env : {}));
  const cands = candidateSources(sources, suite, arch);
  if (cands.length === 0) {
    throw new ImageError('no-debian-source', `no apt source lists ${suite} main`, {
      fix: `${FIX}, or add a Debian ${suite} main apt source`,
    });
  }
  const archive = await findDebianArchive(cands, suite, opts, workDir, progress);

  // The Packages index, preferring the smaller encodings, checked against the signed list.
  const dir = `main/binary-${arch}`;
  const pick = ['Packages.xz', 'Packages.gz', 'Packages']
    .map((f) => `${dir}/${f}`)
    .find((p) => archive.release.sha256.has(p));
  if (!pick) {
    throw new ImageError('index-missing', `${archive.base} ${suite} lists no ${dir}/Packages index`, { fix: FIX });
  }
  const want = archive.release.sha256.get(pick)!;
  const indexUrl = `${archive.base}/dists/${suite}/${pick}`;
  progress(`fetching ${indexUrl}`);
  const indexPath = join(workDir, basename(pick));
  const got = await downloadHashed(indexUrl, indexPath, want.size, opts).catch((e: unknown) => {
    throw mismatchOrNetwork(
      e,
      'index-digest-mismatch',
      `${indexUrl} does not match the SHA256 and size in the signed InRelease (it is larger)`,
    );
  });
  if (got.sha256 !== want.sha256 || got.size !== want.size) {
    throw new ImageError(
      'index-digest-mismatch',
      `${indexUrl} does not match the SHA256 and size in the signed InRelease`,
      {
        fix: `the mirror may be mid-sync or tampered with; retry later or ${FIX}`,
      },
    );
  }
  const { readFile } = await import('node:fs/promises');
  let index: string;
  try {
    index = await decompressIndex(pick, await readFile(indexPath));
  } catch (e) {
    throw new ImageError('index-unreadable', `cannot decompress ${indexUrl}: ${(e as Error).message}`, {
      fix: FIX,
      cause: e,
    });
  }
  return { base: archive.base, suite, arch, find: (name) => findPackage(index, name, arch) };
}

/** Download the .deb of a verified index entry into workDir and check its SHA256 and size. */
export async function downloadVerifiedDeb(
  index: VerifiedIndex,
  entry: PackageEntry,
  workDir: string,
  opts: DebFetchOptions = {},
  progress: (m: string) => void = () => {},
): Promise<FetchedDeb> {
  const debUrl = `${index.base}/${entry.filename}`;
  const debPath = join(workDir, 'package.deb');
  progress(`fetching ${debUrl}`);
  const deb = await downloadHashed(debUrl, debPath, entry.size, opts).catch((e: unknown) => {
    throw mismatchOrNetwork(
      e,
      'deb-digest-mismatch',
      `${debUrl} does not match the SHA256 and size in the signed index (it is larger)`,
    );
  });
  if (deb.sha256 !== entry.sha256 || deb.size !== entry.size) {
    throw new ImageError(
      'deb-digest-mismatch',
      `${debUrl} does not match the SHA256 and size in the signed index (got ${deb.sha256}, want ${entry.sha256})`,
      {
        fix: `the mirror or a proxy served a different file; retry later or ${FIX}`,
      },
    );
  }
  return { path: debPath, url: debUrl, sha256: deb.sha256, entry };
}

/** Fetch and verify package `name`; the .deb lands in workDir. Throws ImageError/HostError. */
export async function fetchVerifiedDeb(
  name: string,
  workDir: string,
  opts: DebFetchOptions = {},
  progress: (m: string) => void = () => {},
): Promise<FetchedDeb> {
  const index = await openVerifiedIndex(workDir, opts, progress);
  const entry = index.find(name);
  if (!entry)
    throw new ImageError('package-not-found', `${name} is not in ${index.suite}/main for ${index.arch}`, { fix: FIX });
  return downloadVerifiedDeb(index, entry, workDir, opts, progress);
}

/** An oversized body is a digest mismatch (`tooLarge`); anything else a download failure. */
function mismatchOrNetwork(e: unknown, code: string, tooLarge: string): ImageError {
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof HttpFetchError && e.tooLarge) {
    return new ImageError(code, tooLarge, {
      fix: `the mirror may be mid-sync or tampered with; retry later or ${FIX}`,
      cause: e,
    });
  }
  return new ImageError('download-failed', msg, { fix: `check the network and the apt mirror, or ${FIX}`, cause: e });
}
