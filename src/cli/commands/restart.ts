/** `berth restart [-t SECONDS] ENV...`: stop and start again, keeping the filesystem. */
import * as berth from '../../index.js';
import { timedStopCommand } from './timed-stop.js';

export const restartCommand = timedStopCommand(
  'restart <envs..>',
  'Restart environments: SIGTERM, SIGKILL after --time seconds, then start in the background',
  (ref, opts) => berth.restart(ref, opts),
);
