/** Which of a captured exec's outputs go into its result (ExecOptions.keepStreamed). */
import type { ExecOptions } from '../driver.js';

export function keptOutput(opts: ExecOptions): { stdout: boolean; stderr: boolean } {
  const all = opts.keepStreamed !== false;
  return { stdout: all || !opts.onStdout, stderr: all || !opts.onStderr };
}
