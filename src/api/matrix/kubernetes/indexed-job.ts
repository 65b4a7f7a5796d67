/**
 * `berth matrix --on kubernetes --emit FILE`, on paper: a kubectl-ready List of a ConfigMap (the
 * plan and the task script a Slurm run uses) and an Indexed Job whose completion index N runs
 * cell N. What the pods need follows from the backends: uml runs in an unprivileged pod; chroot
 * and container cells need a privileged pod (mounts, namespaces); microvm asks a /dev/kvm device
 * plugin for the device (without it QEMU falls back to TCG where the pod allows). Pure.
 */
import type { BackendName } from '../../../core/spec.js';
import type { MatrixPlan } from '../remote/plan.js';

export interface KubernetesJobOptions {
  /** Default ./berth-matrix-results: where the results volume is mounted in every pod. */
  resultsDir?: string;
  /** berth inside the pod image (default /usr/local/bin/berth). */
  berthPath?: string;
  /** BERTH_STORE inside the pods (a shared volume at that path), default each pod's own. */
  store?: string;
  /** An image with berth (and Node) at berthPath; default berth:VERSION. */
  podImage?: string;
  /** The PersistentVolumeClaim (ReadWriteMany) the pods write records and logs to. */
  resultsClaim?: string;
  /** The extended resource a /dev/kvm device plugin offers (default devices.kubevirt.io/kvm). */
  kvmResource?: string;
}

export const DEFAULT_POD_BERTH = '/usr/local/bin/berth';
export const DEFAULT_RESULTS_CLAIM = 'berth-matrix-results';
export const DEFAULT_KVM_RESOURCE = 'devices.kubevirt.io/kvm';
const CONFIG_MOUNT = '/etc/berth-matrix';

export function needsPrivileged(backends: readonly BackendName[]): boolean {
  return backends.some((b) => b === 'chroot' || b === 'container');
}

export function indexedJob(
  plan: MatrixPlan,
  script: string,
  name: string,
  o: Required<Pick<KubernetesJobOptions, 'podImage' | 'resultsClaim' | 'kvmResource'>>,
) {
  const backends = [...new Set(plan.cells.map((c) => c.backend))];
  const n = plan.cells.length;
  const labels = { 'app.kubernetes.io/name': 'berth-matrix', 'berth.matrix': name };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels },
    data: { 'plan.json': `${JSON.stringify(plan, null, 2)}\n`, 'task.sh': script },
  };
  const container = {
    name: 'cell',
    image: o.podImage,
    command: ['/bin/sh', `${CONFIG_MOUNT}/task.sh`, `${CONFIG_MOUNT}/plan.json`],
    env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
    volumeMounts: [
      { name: 'plan', mountPath: CONFIG_MOUNT, readOnly: true },
      { name: 'results', mountPath: plan.resultsDir },
    ],
    ...(needsPrivileged(plan.spec.backends) ? { securityContext: { privileged: true } } : {}),
    ...(backends.includes('microvm') ? { resources: { limits: { [o.kvmResource]: '1' } } } : {}),
  };
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      completionMode: 'Indexed',
      completions: n,
      parallelism: Math.min(plan.spec.jobs, n),
      // A failing cell is a result, not something to retry (Kubernetes 1.29+).
      backoffLimitPerIndex: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [container],
          volumes: [
            { name: 'plan', configMap: { name, defaultMode: 0o755 } },
            { name: 'results', persistentVolumeClaim: { claimName: o.resultsClaim } },
          ],
        },
      },
    },
  };
  return { apiVersion: 'v1', kind: 'List', items: [configMap, job] };
}
