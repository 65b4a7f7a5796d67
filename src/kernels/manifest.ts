/**
 * Kernel manifests: the data in kernels/*.json (compiled in, so the CLI bundle carries them),
 * checked once when loaded. Pure apart from the JSON imports.
 */
import uml from '../../kernels/uml.json' with { type: 'json' };
import microvm from '../../kernels/microvm.json' with { type: 'json' };
import { KernelError } from '../core/errors.js';

export interface KernelManifest {
  /** The name `--kernel NAME` selects, and the cache directory name. */
  name: string;
  description: string;
  /** 'uml' = a linux.uml executable; 'bzImage' = a kernel QEMU boots with -kernel. */
  format: 'uml' | 'bzImage';
  /** Debian architectures the package exists for. */
  architectures: string[];
  /** Debian binary package holding the kernel (or the metapackage pointing at it). */
  package: string;
  /** When set, `package` is a metapackage: fetch its Depends entry matching this regex. */
  metapackage?: string;
  /** Regex matching the kernel's path inside data.tar (no leading "./"). */
  kernelPath: string;
  /** Directory in data.tar holding exactly one `<release>/` module tree. */
  modulesRoot: string;
  /** Where the package, when installed on the host, puts kernel and modules. */
  installed?: { kernel: string; modulesRoot: string };
  /** Modules the VM needs to boot (closure computed from modinfo); built-in ones are skipped. */
  bootModules: string[];
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function checkManifest(m: unknown, origin: string): KernelManifest {
  const bad = (what: string) =>
    new KernelError('bad-manifest', `kernel manifest ${origin}: ${what}`, {
      fix: 'fix the JSON in kernels/ (see kernels/README.md)',
    });
  if (m === null || typeof m !== 'object') throw bad('not an object');
  const o = m as Record<string, unknown>;
  const str = (k: string) => {
    if (typeof o[k] !== 'string' || o[k] === '') throw bad(`"${k}" must be a non-empty string`);
    return o[k] as string;
  };
  const strs = (k: string) => {
    if (!Array.isArray(o[k]) || !(o[k] as unknown[]).every((x) => typeof x === 'string'))
      throw bad(`"${k}" must be a list of strings`);
    return o[k] as string[];
  };
  const name = str('name');
  if (!NAME_RE.test(name)) throw bad(`name "${name}" must match ${NAME_RE}`);
  const format = str('format');
  if (format !== 'uml' && format !== 'bzImage') throw bad(`format "${format}" must be uml or bzImage`);
  for (const k of ['kernelPath', 'metapackage']) {
    if (o[k] === undefined) continue;
    try {
      new RegExp(str(k));
    } catch {
      throw bad(`"${k}" is not a valid regex`);
    }
  }
  const modulesRoot = str('modulesRoot').replace(/^\.?\/+|\/+$/g, '');
  const out: KernelManifest = {
    name,
    description: str('description'),
    format,
    architectures: strs('architectures'),
    package: str('package'),
    kernelPath: str('kernelPath'),
    modulesRoot,
    bootModules: strs('bootModules'),
  };
  if (o.metapackage !== undefined) out.metapackage = str('metapackage');
  if (o.installed !== undefined) {
    const i = o.installed as Record<string, unknown>;
    if (typeof i?.kernel !== 'string' || typeof i?.modulesRoot !== 'string')
      throw bad('"installed" needs "kernel" and "modulesRoot" paths');
    out.installed = { kernel: i.kernel, modulesRoot: i.modulesRoot };
  }
  return out;
}

let all: KernelManifest[] | undefined;

/** Every manifest shipped in kernels/, by name. */
export function manifests(): KernelManifest[] {
  return (all ??= [checkManifest(uml, 'kernels/uml.json'), checkManifest(microvm, 'kernels/microvm.json')]);
}

export function findManifest(name: string): KernelManifest | undefined {
  return manifests().find((m) => m.name === name);
}
