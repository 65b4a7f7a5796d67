/** Every benchmark suite, in report order. Later suites (uml, microvm) plug in here. */
import type { Suite } from '../harness.js';
import { chrootStartup } from './chroot-startup.js';
import { containerStartup } from './container-startup.js';
import { idleContainers } from './idle-containers.js';
import { networkThroughput } from './network-throughput.js';

export const suites: Suite[] = [chrootStartup, containerStartup, idleContainers, networkThroughput];
