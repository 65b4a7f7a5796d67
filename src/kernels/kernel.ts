/** What a resolved kernel is, wherever it came from (the cache, the installed package, a path). */

export interface Kernel {
  /** Manifest name (uml, microvm), or the path given with --kernel PATH. */
  name: string;
  /** Debian package version, or "path" for --kernel PATH. */
  version: string;
  /** `uname -r` of the kernel (the module tree's directory name), when known. */
  release?: string;
  /** 'uml' = linux.uml executable; 'bzImage' = for qemu -kernel; 'unknown' for a bare path. */
  format: 'uml' | 'bzImage' | 'unknown';
  /** Absolute path of the kernel file. */
  kernel: string;
  /** Absolute path of the `<release>` module tree, when the kernel has loadable modules. */
  modulesDir?: string;
  /** Modules its VM needs to boot (from the manifest); [] for a path. */
  bootModules: string[];
  /** SHA256 of the kernel file. */
  sha256: string;
  /** Where derived files (initramfs) are cached. */
  cacheDir: string;
  origin: 'mirror' | 'installed' | 'path';
  /** For 'mirror': the .deb it came from. */
  package?: { name: string; url: string; sha256: string };
}

/** The record kept as kernel.json in `<root>/kernels/<name>/<version>/`. */
export interface KernelRecord {
  name: string;
  version: string;
  release?: string;
  format: 'uml' | 'bzImage';
  /** Relative to the version dir ("kernel"), or absolute for an installed package. */
  kernel: string;
  modulesDir?: string;
  bootModules: string[];
  sha256: string;
  size: number;
  origin: 'mirror' | 'installed';
  package: { name: string; version: string; url?: string; sha256?: string };
  fetchedAt: string;
}
