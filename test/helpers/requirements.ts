/**
 * Tests never skip silently: a missing requirement skips with a reason locally, and FAILS under CI=true.
 */
import type { TestContext } from 'node:test';

export const IN_CI = process.env.CI === 'true';

/** Returns true when the test may proceed; otherwise skips (locally) or throws (CI). */
export function requireThat(t: TestContext, ok: boolean, what: string): boolean {
  if (ok) return true;
  if (IN_CI) throw new Error(`requirement missing under CI=true: ${what}`);
  t.skip(`requirement missing: ${what}`);
  return false;
}
