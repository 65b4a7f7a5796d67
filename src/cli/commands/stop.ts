/** `berth stop [-t SECONDS] ENV...` */
import * as berth from '../../index.js';
import { timedStopCommand } from './timed-stop.js';

export const stopCommand = timedStopCommand(
  'stop <envs..>',
  'Stop environments: SIGTERM, then SIGKILL after --time seconds',
  (ref, opts) => berth.stop(ref, opts),
);
