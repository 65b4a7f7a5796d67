/**
 * The load order of a set of modules and everything they depend on (what depmod's modules.dep
 * would give, computed from each module's `depends=`). Pure: the dependency lookup is passed in.
 */
import { KernelError } from '../core/errors.js';
import { normalizeModuleName } from './modinfo.js';

export interface ClosureInput {
  /** Module names asked for. */
  wanted: string[];
  /** Names built into the kernel (modules.builtin): satisfied without loading. */
  builtin: ReadonlySet<string>;
  /** Whether a loadable module of this name exists. */
  has(name: string): boolean;
  /** Its direct dependencies. Only called for names `has` accepted. */
  depends(name: string): string[];
}

/**
 * Dependencies first, each module once, in a stable order (depth first, in `wanted` order).
 * Throws KernelError for a missing module or a dependency cycle.
 */
export function moduleLoadOrder(input: ClosureInput, kernel = 'the kernel'): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (raw: string, chain: string[]) => {
    const name = normalizeModuleName(raw);
    if (input.builtin.has(name) || state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new KernelError(
        'module-cycle',
        `modules of ${kernel} depend on each other in a cycle: ${[...chain, name].join(' -> ')}`,
        { fix: 'the kernel package is broken; use another kernel' },
      );
    }
    if (!input.has(name)) {
      const via = chain.length > 0 ? ` (needed by ${chain[chain.length - 1]})` : '';
      throw new KernelError('module-missing', `${kernel} has no module ${name}${via}, and it is not built in`, {
        fix: 'use a kernel that has it, or one with it built in (--kernel)',
      });
    }
    state.set(name, 'visiting');
    for (const d of input.depends(name)) visit(d, [...chain, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const w of input.wanted) visit(w, []);
  return order;
}

/** modules.builtin lines ("kernel/fs/ext4/ext4.ko") as a set of module names. */
export function parseModulesBuiltin(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /([^/]+)\.ko$/.exec(line.trim());
    if (m) out.add(normalizeModuleName(m[1]!));
  }
  return out;
}
