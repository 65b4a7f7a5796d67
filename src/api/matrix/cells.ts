/**
 * A matrix: backends x images x kernels, as `berth matrix` flags or a berth.matrix.json file give
 * it. Kernels only vary the backends with a separate kernel; the others get one cell per image.
 */
import { SpecError } from '../../core/errors.js';
import { BACKEND_NAMES, type BackendName } from '../../core/spec.js';

export interface MatrixSpec {
  backends: BackendName[];
  images: string[];
  /** Kernel names or paths for uml/microvm; empty = each backend's default. */
  kernels: string[];
  command: string[];
  jobs: number;
}

export interface Cell {
  /** Stable, file-name-safe id: backend-image[-kernel]. */
  id: string;
  backend: BackendName;
  image: string;
  kernel?: string;
}

const KERNEL_BACKENDS: ReadonlySet<BackendName> = new Set(['uml', 'microvm']);

export function cellsOf(m: Pick<MatrixSpec, 'backends' | 'images' | 'kernels'>): Cell[] {
  const out: Cell[] = [];
  for (const backend of m.backends) {
    for (const image of m.images) {
      // A kernel named after a backend (the manifests `uml`, `microvm`) only fits that backend; paths fit any.
      const fitting = m.kernels.filter((k) => !KERNEL_BACKENDS.has(k as BackendName) || k === backend);
      const kernels = KERNEL_BACKENDS.has(backend) && fitting.length > 0 ? fitting : [undefined];
      for (const kernel of kernels) {
        out.push({
          id: safeId([backend, image, ...(kernel ? [kernel] : [])].join('-')),
          backend,
          image,
          ...(kernel ? { kernel } : {}),
        });
      }
    }
  }
  return out;
}

function safeId(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

function list(v: unknown, what: string): string[] {
  const arr = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : v === undefined ? [] : null;
  if (!arr || arr.some((x) => typeof x !== 'string'))
    throw new SpecError('bad-matrix', `matrix ${what} must be a list of strings`, {
      fix: `e.g. "${what}": ["a", "b"] or --${what.replace(/s$/, '')} a,b`,
    });
  return (arr as string[]).map((x) => x.trim()).filter(Boolean);
}

/** Validate a matrix from flags and/or a parsed berth.matrix.json (flags win). */
export function matrixSpec(
  file: Record<string, unknown>,
  flags: { backends?: string; images?: string; kernels?: string; command?: string[]; jobs?: number },
): MatrixSpec {
  const backends = list(flags.backends ?? file.backends ?? file.backend, 'backends');
  const images = list(flags.images ?? file.images ?? file.image ?? 'busybox', 'images');
  const kernels = list(flags.kernels ?? file.kernels ?? file.kernel, 'kernels');
  const command = flags.command && flags.command.length > 0 ? flags.command : list(file.command, 'command');
  const jobs = flags.jobs ?? (typeof file.jobs === 'number' ? file.jobs : 2);
  if (backends.length === 0)
    throw new SpecError('bad-matrix', 'the matrix names no backend', {
      fix: 'pass --backend chroot,container,... or "backends" in the matrix file',
    });
  for (const b of backends) {
    if (!(BACKEND_NAMES as readonly string[]).includes(b))
      throw new SpecError('bad-matrix', `unknown backend "${b}" in the matrix`, {
        fix: `use some of: ${BACKEND_NAMES.join(', ')}`,
      });
  }
  if (images.length === 0)
    throw new SpecError('bad-matrix', 'the matrix names no image', {
      fix: 'pass --image busybox,... or "images" in the matrix file',
    });
  if (command.length === 0)
    throw new SpecError('bad-matrix', 'the matrix has no command to run', {
      fix: 'put it after --, e.g. berth matrix --backend chroot -- ./test.sh',
    });
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
    throw new SpecError('bad-matrix', `--jobs must be an integer from 1 to 64, not ${jobs}`, { fix: 'e.g. --jobs 2' });
  return { backends: backends as BackendName[], images, kernels, command, jobs };
}
