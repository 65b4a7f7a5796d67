/** The conformance suite (suite.ts) on the chroot backend, as root and as an unprivileged user. */
import { conformanceSuite } from './suite.js';

conformanceSuite('chroot');
