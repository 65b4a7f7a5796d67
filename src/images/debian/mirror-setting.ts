/**
 * BERTH_DEBIAN_MIRROR=URL (and BERTH_DEBIAN_KEYRING=FILE, the keyring its InRelease verifies
 * with): one Debian mirror that replaces the host's apt sources for every Debian fetch berth
 * makes (kernels, `debian:SUITE` images, the builtin busybox's .deb). For internal and
 * air-gapped mirrors, and for the tests' loopback mirror. Parsed and defaulted here, once
 * (`debianSources` is the one place a fetch's sources are chosen); the parsing is pure.
 */
import { isAbsolute } from 'node:path';
import { SpecError } from '../../core/errors.js';
import { readHostAptSources, type AptSource } from './apt-sources.js';

export const DEFAULT_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export interface DebianMirrorSetting {
  /** The mirror's base URL without a trailing slash, e.g. http://mirror.example/debian. */
  base: string;
  /** The keyring its InRelease is verified with. */
  keyring: string;
}

/** The setting from the environment; undefined when BERTH_DEBIAN_MIRROR is unset or empty. Pure. */
export function parseDebianMirrorSetting(env: NodeJS.ProcessEnv): DebianMirrorSetting | undefined {
  const url = env.BERTH_DEBIAN_MIRROR ?? '';
  const keyring = env.BERTH_DEBIAN_KEYRING ?? '';
  if (url === '') {
    if (keyring !== '')
      throw new SpecError(
        'debian-keyring-without-mirror',
        'BERTH_DEBIAN_KEYRING is set but BERTH_DEBIAN_MIRROR is not',
        {
          fix: 'set BERTH_DEBIAN_MIRROR=URL too, or unset BERTH_DEBIAN_KEYRING',
        },
      );
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.search !== '' || parsed.hash !== '' || /\s/.test(url)) {
    throw new SpecError('debian-mirror-invalid', `BERTH_DEBIAN_MIRROR="${url}" is not an http(s) URL`, {
      fix: 'set it to a Debian mirror base URL such as http://mirror.example/debian',
    });
  }
  if (keyring !== '' && !isAbsolute(keyring)) {
    throw new SpecError('debian-keyring-invalid', `BERTH_DEBIAN_KEYRING="${keyring}" is not an absolute path`, {
      fix: 'set it to the absolute path of the keyring that signs the mirror, e.g. /etc/apt/keyrings/mirror.gpg',
    });
  }
  return { base: url.replace(/\/+$/, ''), keyring: keyring || DEFAULT_KEYRING };
}

/** The one apt source a mirror setting stands for: SUITE main, signed by its keyring. Pure. */
export function mirrorSource(setting: DebianMirrorSetting, suite: string): AptSource {
  return {
    types: ['deb'],
    uris: [setting.base],
    suites: [suite],
    components: ['main'],
    enabled: true,
    origin: 'BERTH_DEBIAN_MIRROR',
    signedBy: [setting.keyring],
  };
}

/** The sources a Debian fetch of `suite` uses: BERTH_DEBIAN_MIRROR's, else the host's apt sources. */
export async function debianSources(suite: string, root = '/', env = process.env): Promise<AptSource[]> {
  const setting = parseDebianMirrorSetting(env);
  return setting ? [mirrorSource(setting, suite)] : readHostAptSources(root);
}
