/** Progress on a terminal (ora). Loaded only when something slow happens, never on the hot path. */
import ora, { type Ora } from 'ora';

export function startSpinner(text: string, stream: NodeJS.WriteStream = process.stderr): Ora {
  return ora({ text, stream }).start();
}
