/**
 * Named subsets of the conformance checks, chosen with BERTH_TEST_SUBSET=NAME. `node-versions` is
 * what the passes on the other supported Node versions run on every backend (ADR 0027): the checks
 * that lean on Node itself (child processes and stdio, exit statuses, signals, a pty, detached
 * monitors and log following), not the backends' isolation, which does not change with Node.
 */
import type { Check } from './checks.js';

export const SUBSETS: Record<string, readonly string[]> = {
  'node-versions': [
    'exit status and stdout/stderr separation',
    'detach, exec, logs -f, stop and rm',
    'signals sent to berth reach the command',
    'an interactive terminal gets a real pty',
  ],
  templates: [
    "template: the setup's result is kept, clones start from it, rm removes it",
    'template: a failing setup leaves no template and no environment',
    'template (microvm): clones are the saved VM with their own identity; incompatible resumes and rm in use are refused',
    'template: kill -9 of template create leaves no template, environment or VM process',
  ],
};

/** A filter for the checks of SUBSET (every check without one); an unknown subset or check name throws. */
export function subsetFilter(subset: string | undefined, all: readonly Check[]): (c: Check) => boolean {
  if (!subset) return () => true;
  const names = SUBSETS[subset];
  if (!names) throw new Error(`BERTH_TEST_SUBSET=${subset}: no such subset (${Object.keys(SUBSETS).join(', ')})`);
  for (const n of names) if (!all.some((c) => c.name === n)) throw new Error(`subset ${subset} names no check "${n}"`);
  return (c) => names.includes(c.name);
}
