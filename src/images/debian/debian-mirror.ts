/**
 * The mirror a `debian:SUITE` image is built from: BERTH_DEBIAN_MIRROR, else the first http(s)
 * entry of the host's apt sources whose `dists/SUITE/InRelease` verifies with gpgv and says Origin: Debian (the same
 * chain as the builtin image's busybox fetch). Distinguishes an unknown suite (the mirror
 * answers 404) from an unreachable mirror.
 */
import type { AptSource } from './apt-sources.js';
import { findDebianArchive } from './fetch-deb.js';
import { DEFAULT_KEYRING, debianSources } from './mirror-setting.js';
import { HttpFetchError } from './http.js';
import { ImageError } from '../../core/errors.js';

export interface DebianMirror {
  base: string;
  keyring: string;
}

/** Enabled deb entries with http(s) URIs; those that list `suite` first. Pure. */
export function mirrorCandidates(sources: AptSource[], suite: string): AptSource[] {
  const usable = sources.filter(
    (s) => s.enabled && (s.types.length === 0 || s.types.includes('deb')) && s.uris.some((u) => /^https?:\/\//.test(u)),
  );
  return [...usable.filter((s) => s.suites.includes(suite)), ...usable.filter((s) => !s.suites.includes(suite))];
}

export async function findDebianMirror(
  suite: string,
  workDir: string,
  opts: { sources?: AptSource[]; progress?: (m: string) => void } = {},
): Promise<DebianMirror> {
  const sources = opts.sources ?? (await debianSources(suite));
  const cands = mirrorCandidates(sources, suite);
  if (cands.length === 0) {
    throw new ImageError('debian-no-mirror', "the host's apt sources name no http(s) Debian mirror", {
      fix: 'add a Debian mirror to /etc/apt/sources.list(.d)',
    });
  }
  try {
    const a = await findDebianArchive(cands, suite, {}, workDir, opts.progress ?? (() => {}));
    return { base: a.base, keyring: a.source.signedBy?.[0] ?? DEFAULT_KEYRING };
  } catch (e) {
    const cause = e instanceof ImageError && e.cause ? e.cause : e;
    if (cause instanceof HttpFetchError && cause.statusCode === 404) {
      throw new ImageError(
        'debian-unknown-suite',
        `unknown Debian suite "${suite}": the mirror has no dists/${suite}`,
        {
          fix: 'use a suite the mirror carries, e.g. debian:bookworm',
          cause: e,
        },
      );
    }
    if (cause instanceof HttpFetchError) {
      throw new ImageError(
        'debian-mirror-unreachable',
        `cannot reach the Debian mirror for ${suite}: ${cause.message}`,
        {
          fix: "check the network and the mirror (BERTH_DEBIAN_MIRROR, else the host's apt sources)",
          cause: e,
        },
      );
    }
    if (e instanceof ImageError && e.code === 'no-debian-archive') {
      throw new ImageError('debian-no-mirror', `no apt source is a Debian archive with suite ${suite}`, {
        fix: "add a Debian mirror to the host's apt sources",
        cause: e,
      });
    }
    throw e;
  }
}
