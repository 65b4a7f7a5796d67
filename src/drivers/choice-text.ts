/** The backend choice in one line, for `run` on a terminal and `doctor`. Pure. */
import type { BackendChoice } from '../core/env-store.js';

export function describeChoice(c: BackendChoice): string {
  const head = `the ${c.chosen} backend`;
  if (c.requested === undefined || c.source === undefined) return head;
  if (c.requested !== 'auto') {
    const where =
      c.source === 'BERTH_BACKEND'
        ? `BERTH_BACKEND=${c.requested}`
        : c.source === '--backend'
          ? `--backend ${c.requested}`
          : `"backend": "${c.requested}" in ${c.source}`;
    return `${head} (${where})`;
  }
  let auto =
    c.source === 'default' || c.source === '--backend'
      ? 'auto'
      : c.source === 'BERTH_BACKEND'
        ? 'auto from BERTH_BACKEND=auto'
        : `auto from ${c.source}`;
  if (c.isolation) auto += ` with --isolation ${c.isolation}`;
  const parts = [auto, ...c.passedOver.map((p) => `${p.backend}: ${p.reason}`)];
  if (c.kernelIsolation && c.isolation !== 'kernel') parts.push(`--isolation kernel would give ${c.kernelIsolation}`);
  if (c.chosen === 'microvm' && c.passedOver.length === 0) return `${head} (${auto}: KVM works here)`;
  return `${head} (${parts.join('; ')})`;
}
