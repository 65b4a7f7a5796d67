/**
 * The size of a shim backend's terminal that has no client terminal to copy (a detached `-t`
 * command's, an API server's `exec -t`): a small file "ROWS COLS" that the shim's monitor opened
 * when it started and rereads on SIGWINCH (`--winsize-file`, native/shim/pty.c). Written in place,
 * padded to one length, so that the monitor's open descriptor always sees the latest size.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TerminalResizes, TerminalSize } from '../driver.js';
import { randomHex } from '../../core/random.js';

/** A terminal nobody sized yet: the shim's own default. */
export const DEFAULT_TERMINAL: TerminalSize = { rows: 24, cols: 80 };

/** A detached -t command's size file in its state directory. */
export function winsizePath(envDir: string): string {
  return join(envDir, 'winsize');
}

export function winsizeText(size: TerminalSize): string {
  return `${`${size.rows} ${size.cols}`.padEnd(15)}\n`;
}

/** Write SIZE over the file at PATH (made if missing; never truncated: every text is one length). */
export function writeWinsize(path: string, size: TerminalSize): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o644);
  try {
    writeSync(fd, winsizeText(size), 0);
  } finally {
    closeSync(fd);
  }
}

/** An exec's own size file while it runs, fed from its client's resizes. */
export interface ExecWinsize {
  path: string;
  /** Once the exec helper runs: each resize is written, then the helper is told (SIGWINCH). Returns the unsubscribe. */
  follow(child: ChildProcess): () => void;
  remove(): void;
}

export function execWinsize(envDir: string, terminal: TerminalResizes): ExecWinsize {
  const path = join(envDir, `winsize-exec-${randomHex(6)}`);
  writeWinsize(path, terminal.current() ?? DEFAULT_TERMINAL);
  return {
    path,
    follow: (child) =>
      terminal.subscribe((size) => {
        writeWinsize(path, size);
        child.kill('SIGWINCH');
      }),
    remove: () => rmSync(path, { force: true }),
  };
}
