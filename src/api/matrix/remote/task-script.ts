/**
 * The shell script every cluster task runs (a Slurm array task or a Kubernetes indexed pod): it
 * picks its cell from the scheduler's index, finds berth on the node and hands over to
 * `berth __matrix-task PLAN INDEX`, which first checks that it is the submitter's version (the plan
 * says which). What fails before berth runs is written as the cell's record by the script itself,
 * so the submitter always says why. Pure.
 */
import type { Cell } from '../cells.js';

/** One shell word, single-quoted. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface TaskScriptInput {
  version: string;
  cells: readonly Cell[];
  resultsDir: string;
  /** argv that starts berth on a node: [node, dist/berth.cjs] or [--berth-path]. */
  berth: readonly string[];
  /** BERTH_STORE for the task (images and kernels all nodes share: --store), if any. */
  store?: string;
}

export function taskScript(t: TaskScriptInput): string {
  const cases = t.cells.map((c, i) => `  ${i}) id=${shellQuote(c.id)} ;;`).join('\n');
  const checks = t.berth.map((p, i) => (i === 0 ? `[ -x ${shellQuote(p)} ]` : `[ -f ${shellQuote(p)} ]`)).join(' && ');
  const where = t.berth.join(' ');
  return `#!/bin/sh
# berth matrix task, written by berth ${t.version}: runs one cell of the plan on this node
# (berth refuses the plan unless it is version ${t.version} itself).
# Usage: task.sh PLAN (the index comes from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX).
set -u
plan=\${1:?usage: task.sh PLAN}
results=${shellQuote(t.resultsDir)}
want=${shellQuote(t.version)}
idx=\${SLURM_ARRAY_TASK_ID:-\${JOB_COMPLETION_INDEX:-}}
node=\${SLURMD_NODENAME:-\${NODE_NAME:-$(uname -n)}}
case $idx in
${cases}
  *) echo "berth matrix task: no cell has index '$idx' (SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)" >&2; exit 2 ;;
esac
json() { printf '%s' "$1" | tr -d '\\000-\\037' | sed 's/[\\\\"]/\\\\&/g'; }
# The cell's record when berth cannot run it here; the submitter reports the reason.
fail() {
  echo "berth matrix task: $1" >&2
  printf '{"id":"%s","state":"error","reason":"%s","node":"%s"}\\n' "$id" "$(json "$1")" "$(json "$node")" \\
    >"$results/cells/$id.json.tmp" && mv -f "$results/cells/$id.json.tmp" "$results/cells/$id.json"
  exit 1
}
mkdir -p "$results/cells" "$results/logs" 2>/dev/null
if ! [ -d "$results/cells" ] || ! [ -w "$results/cells" ]; then
  echo "berth matrix task: node $node cannot write the results directory $results: share it with the nodes (the same path, writable by the job's user) or pass --results" >&2
  exit 3
fi
${t.store ? `BERTH_STORE=${shellQuote(t.store)}\nexport BERTH_STORE\n` : ''}if ! { ${checks}; }; then
  fail "no berth on node $node at ${where.replace(/["$`\\]/g, '\\$&')}: install berth $want at that path or pass --berth-path"
fi
# berth itself compares its version with the plan's (no second berth process just to ask).
exec ${t.berth.map(shellQuote).join(' ')} __matrix-task "$plan" "$idx"
`;
}
