/**
 * The one `DriverError start-failed` of every backend: the command could not be started (not found,
 * not executable, a bad user or workdir). The exit code follows Docker: 127 not found, 126 not
 * executable, else 125; the fix says what to check.
 */
import { DriverError } from '../../core/errors.js';

export function startFailed(message: string, exitCode: number): DriverError {
  const code = exitCode === 126 || exitCode === 127 ? exitCode : 125;
  const fix =
    code === 127
      ? 'check the command is in the image and on its PATH, e.g. berth run IMAGE -- ls /bin'
      : code === 126
        ? 'check the command is an executable file (chmod +x, or run it through sh)'
        : 'check the command, -u user and -w directory exist in the image; "berth logs" shows what it printed';
  return new DriverError('start-failed', message, { exitCode: code, fix });
}
