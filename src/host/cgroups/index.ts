/** cgroup manager: plan (pure) -> apply -> join (native shim) -> stats/freeze -> remove. */
export type * from './types.js';
export {
  type CgroupHost,
  type CgroupHostIO,
  type CgroupHostV1,
  type CgroupHostV2,
  deriveCgroupHost,
  findDelegatedBase,
  readCgroupHost,
} from './host.js';
export { CFS_PERIOD_US, MIN_MEMORY_BYTES, checkLimits } from './limits.js';
export { checkCgroupId, planCgroups } from './plan.js';
export { applyPlan, joinDirs, shimCgroupArgs } from './apply.js';
export { candidateDirs, removeCgroups } from './remove.js';
export { type CgroupStats, oomKilled, stats } from './stats.js';
export { freeze, thaw } from './freeze.js';
export { type CgroupDescription, type EnforcedLimit, describeCgroups, describeLines } from './describe.js';
