/**
 * An onProgress callback for library calls: on a terminal the first message lazily loads a
 * spinner; null ends it. Off a terminal it stays silent.
 */
type Spinner = { text: string; succeed(text?: string): unknown; stop(): unknown };

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): (msg: string | null) => void {
  let spinner: Promise<Spinner> | undefined;
  let last = '';
  return (msg) => {
    // A terminal of unknown width (0 columns, e.g. under `script` without a size) sends ora into an
    // endless redraw: no spinner there.
    if (!stream.isTTY || !(stream.columns > 0)) return;
    if (msg === null) {
      void spinner?.then((s) => s.succeed(last));
      return;
    }
    last = msg;
    spinner ??= import('./progress.js').then((m) => m.startSpinner(msg));
    void spinner.then((s) => (s.text = msg));
  };
}
