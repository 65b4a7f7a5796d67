/** The conformance suite (suite.ts) on the uml backend, as root and as an unprivileged user. */
import { conformanceSuite } from './suite.js';

conformanceSuite('uml');
