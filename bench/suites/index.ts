/** Every benchmark suite, in report order. Later suites (uml, microvm) plug in here. */
import type { Suite } from '../harness.js';
import { chrootStartup } from './chroot-startup.js';
import { containerStartup } from './container-startup.js';
import { cliVerbs } from './cli-verbs.js';
import { idleContainers } from './idle-containers.js';
import { idleVms } from './idle-vms.js';
import { vmDisks } from './vm-disks.js';
import { microvmBoot } from './microvm-boot.js';
import { fastStart } from './fast-start.js';
import { umlStartup } from './uml-startup.js';
import { umlChannel } from './uml-channel.js';
import { pullThroughput } from './pull-throughput.js';
import { networkThroughput } from './network-throughput.js';
import { dockerApi } from './docker-api.js';
import { matrixSlurm } from './matrix-slurm.js';
import { guestChannel } from './guest-channel.js';

export const suites: Suite[] = [
  chrootStartup,
  containerStartup,
  cliVerbs,
  idleContainers,
  idleVms,
  vmDisks,
  umlStartup,
  umlChannel,
  microvmBoot,
  fastStart,
  pullThroughput,
  networkThroughput,
  guestChannel,
  dockerApi,
  matrixSlurm,
];
