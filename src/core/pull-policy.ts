/**
 * `--pull` (Docker's values): always = fetch the image even when stored; missing (the default) =
 * fetch what is not stored (images, and the VM backends' kernels); never = use only what is
 * stored and refuse otherwise. Parsed here once for the CLI and the library.
 */
import { SpecError } from './errors.js';

export type PullPolicy = 'always' | 'missing' | 'never';
export const PULL_POLICIES: readonly PullPolicy[] = ['always', 'missing', 'never'];
/** What a bare `--pull` (berth's earlier boolean flag) means. */
export const BARE_PULL: PullPolicy = 'always';

/** A policy from `--pull`'s value (a string, or the library's earlier `true`); undefined when absent. */
export function pullPolicyOf(value: unknown): PullPolicy | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return BARE_PULL;
  if (typeof value === 'string' && (PULL_POLICIES as readonly string[]).includes(value)) return value as PullPolicy;
  throw new SpecError('bad-pull', `invalid --pull "${String(value)}"`, {
    fix: `use one of: ${PULL_POLICIES.join(', ')} (a bare --pull is always)`,
  });
}
