/** Platform selection from an OCI image index / Docker manifest list. */
import { ImageError } from '../../core/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface IndexEntry {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

/** Node's process.arch as the GOARCH name registries use. */
export function goArch(arch: string = process.arch): string {
  switch (arch) {
    case 'x64':
      return 'amd64';
    case 'arm64':
      return 'arm64';
    case 'arm':
      return 'arm';
    case 'ia32':
      return '386';
    case 'ppc64':
      return 'ppc64le';
    case 's390x':
      return 's390x';
    case 'riscv64':
      return 'riscv64';
    case 'loong64':
      return 'loong64';
    case 'mips':
      return 'mips';
    case 'mipsel':
      return 'mipsle';
    default:
      return arch;
  }
}

export function hostPlatform(arch: string = process.arch): Platform {
  const architecture = goArch(arch);
  if (architecture === 'arm') return { os: 'linux', architecture, variant: 'v7' };
  return { os: 'linux', architecture };
}

export function platformString(p: { os?: string; architecture?: string; variant?: string }): string {
  return `${p.os ?? '?'}/${p.architecture ?? '?'}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * Pick the manifest for `want` from an index's entries. os and architecture must match; among
 * those, an exact variant wins, then arm64 entries with variant v8 or none, then the first.
 */
export function selectPlatform(entries: IndexEntry[], want: Platform, what: string): IndexEntry {
  const candidates = entries.filter(
    (e) =>
      e.platform?.os === want.os &&
      e.platform?.architecture === want.architecture &&
      e.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  const exact = candidates.find((e) => (e.platform?.variant ?? '') === (want.variant ?? ''));
  if (exact) return exact;
  if (want.architecture === 'arm64') {
    const v8 = candidates.find((e) => e.platform?.variant === 'v8' || e.platform?.variant === undefined);
    if (v8) return v8;
  }
  if (want.variant === undefined && candidates[0]) return candidates[0];
  const available =
    entries
      .filter((e) => e.platform)
      .map((e) => platformString(e.platform!))
      .join(', ') || 'none';
  throw new ImageError('no-platform', `${what} has no image for ${platformString(want)} (it has: ${available})`, {
    fix: "pick an image published for this machine's architecture",
  });
}
