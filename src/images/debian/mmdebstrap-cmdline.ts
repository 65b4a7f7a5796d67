/**
 * Pure argv builder for mmdebstrap, which builds `debian:SUITE[/VARIANT]` images (ADR 0014).
 * Root builds with `--mode=root`, a normal user with `--mode=unshare` (mmdebstrap's own user
 * namespace with the caller's sub-ids), both straight into an uncompressed tarball.
 */

/** mmdebstrap variants that give a runnable system (extract/custom install nothing). */
export const DEBIAN_VARIANTS = [
  'essential',
  'apt',
  'required',
  'minbase',
  'buildd',
  'important',
  'debootstrap',
  'standard',
] as const;

export function isDebianVariant(v: string): boolean {
  return (DEBIAN_VARIANTS as readonly string[]).includes(v);
}

export interface MmdebstrapInput {
  suite: string;
  /** Absent: mmdebstrap's default (`debootstrap`: Essential, required and important packages). */
  variant?: string;
  rootless: boolean;
  /** The mirror base URL, e.g. http://mirror.example/debian. */
  mirror: string;
  /** Keyring that signs the mirror's InRelease. */
  keyring: string;
  /** Output tarball (its parent must exist). */
  output: string;
  /** Debian architecture (e.g. amd64). */
  arch: string;
  quiet?: boolean;
}

/** The apt source line mmdebstrap is given (one-line format, signed-by the keyring). */
export function mirrorLine(mirror: string, suite: string, keyring: string): string {
  return `deb [signed-by=${keyring}] ${mirror.replace(/\/+$/, '')} ${suite} main`;
}

export function mmdebstrapArgv(i: MmdebstrapInput): string[] {
  const argv = ['mmdebstrap', `--mode=${i.rootless ? 'unshare' : 'root'}`, '--format=tar', `--architectures=${i.arch}`];
  if (i.variant !== undefined) argv.push(`--variant=${i.variant}`);
  if (i.quiet) argv.push('--quiet');
  argv.push(i.suite, i.output, mirrorLine(i.mirror, i.suite, i.keyring));
  return argv;
}
