/** The Indexed Job for a matrix: the plan and task script a Slurm run would write, for pods instead. */
import { createHash } from 'node:crypto';
import { VERSION } from '../../../version.js';
import type { MatrixSpec } from '../cells.js';
import { berthOnNodes, preparePlan } from '../remote/prepare.js';
import { taskScript } from '../remote/task-script.js';
import {
  DEFAULT_KVM_RESOURCE,
  DEFAULT_POD_BERTH,
  DEFAULT_RESULTS_CLAIM,
  indexedJob,
  type KubernetesJobOptions,
} from './indexed-job.js';

export function kubernetesMatrixJob(spec: MatrixSpec, opts: KubernetesJobOptions = {}, cwd = process.cwd()) {
  const plan = preparePlan(spec, opts, cwd);
  const berth = berthOnNodes(opts.berthPath ?? DEFAULT_POD_BERTH);
  const script = taskScript({
    version: plan.version,
    cells: plan.cells,
    resultsDir: plan.resultsDir,
    berth,
    ...(plan.store ? { store: plan.store } : {}),
  });
  const name = `berth-matrix-${createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 10)}`;
  return indexedJob(plan, script, name, {
    podImage: opts.podImage ?? `berth:${VERSION}`,
    resultsClaim: opts.resultsClaim ?? DEFAULT_RESULTS_CLAIM,
    kvmResource: opts.kvmResource ?? DEFAULT_KVM_RESOURCE,
  });
}
