/** Node's process.arch as a Debian architecture name. */
const DEBIAN_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  ia32: 'i386',
  arm: 'armhf',
  riscv64: 'riscv64',
  ppc64: 'ppc64el',
  s390x: 's390x',
  loong64: 'loong64',
};

export function debianArch(nodeArch: string = process.arch): string | undefined {
  return DEBIAN_ARCH[nodeArch];
}
