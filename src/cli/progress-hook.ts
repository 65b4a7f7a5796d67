/**
 * Progress callbacks for library calls. On a terminal the first report lazily loads a spinner
 * (ora) whose text is the latest message and a line per transfer in flight (bytes, total, rate);
 * a finished transfer leaves a line above it; null ends it. Off a terminal (a pipe) it stays silent.
 */
import { isatty } from 'node:tty';
import type { Transfer } from '../index.js';
import { TransferBoard } from './transfer-lines.js';

type Spinner = { text: string; succeed(text?: string): unknown; stop(): unknown; clear(): unknown; render(): unknown };

export interface TerminalProgress {
  (msg: string | null): void;
  /** An onTransfer hook drawing byte progress into the same spinner. */
  transfer: (t: Transfer) => void;
}

export interface TerminalProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Keep every message as a line ("berth: MSG") above the spinner, not only the latest. */
  lines?: boolean;
}

/** A terminal of unknown width (0 columns, e.g. under `script` without a size) sends ora into an endless redraw. */
export function isProgressTerminal(stream: NodeJS.WriteStream = process.stderr): boolean {
  return stream.isTTY === true && stream.columns > 0;
}

export function terminalProgress(opts: TerminalProgressOptions = {}): TerminalProgress {
  // process.stderr is made on first use, and off a terminal it is never needed here: making it on
  // a pipe costs 1-5 ms of `run`'s start (ADR 0073), so fd 2 is asked first.
  let made = opts.stream;
  const out = (): NodeJS.WriteStream => (made ??= process.stderr);
  const onTerminal = (): boolean => (made !== undefined || isatty(2)) && isProgressTerminal(out());
  const board = new TransferBoard();
  let spinner: Promise<Spinner> | undefined;
  let last = '';
  let ended = false;
  const text = () => [last, ...board.lines().map((l) => `  ${l}`)].join('\n');
  const withSpinner = (fn: (s: Spinner) => void) => {
    spinner ??= import('./progress.js').then((m) => m.startSpinner(last, out()));
    // In call order: what was reported before null is drawn before the spinner ends.
    void spinner.then(fn);
  };
  const keep = (s: Spinner, line: string) => {
    s.clear();
    out().write(`${line}\n`);
    s.text = text();
    s.render();
  };
  const progress = ((msg: string | null) => {
    if (!onTerminal() || ended) return;
    if (msg === null) {
      if (spinner) void spinner.then((s) => s.succeed(last));
      ended = true;
      return;
    }
    last = msg;
    withSpinner((s) => {
      if (opts.lines) keep(s, `berth: ${msg}`);
      else s.text = text();
    });
  }) as TerminalProgress;
  progress.transfer = (t) => {
    if (!onTerminal() || ended) return;
    const done = board.update(t);
    withSpinner((s) => {
      if (done) keep(s, `  ${done}`);
      else {
        s.text = text();
        s.render();
      }
    });
  };
  return progress;
}
