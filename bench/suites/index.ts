/** Every benchmark suite, in report order. Later suites (container vs podman/runc/bwrap, uml, microvm) plug in here. */
import type { Suite } from '../harness.js';
import { chrootStartup } from './chroot-startup.js';

export const suites: Suite[] = [chrootStartup];
