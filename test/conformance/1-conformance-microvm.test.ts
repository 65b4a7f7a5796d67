/** The conformance suite (suite.ts) on the microvm backend, as root and as an unprivileged user. */
import { conformanceSuite } from './suite.js';

conformanceSuite('microvm');
