/**
 * Output into a closed pipe ends the CLI quietly, as it ends `yes | head`: `berth logs ENV | head`
 * must not print a stack trace. Node ignores SIGPIPE, so a write to a closed stdout or stderr
 * fails with EPIPE (an 'error' event, unhandled by default); on it berth dies of SIGPIPE itself,
 * which the shell reports as 141 like any Unix tool's.
 */
function dieOfSigpipe(): never {
  // libuv resets a signal to its default action when its last listener goes: SIGPIPE then kills.
  process.on('SIGPIPE', () => {});
  process.removeAllListeners('SIGPIPE');
  process.kill(process.pid, 'SIGPIPE');
  process.exit(141); // not reached unless the signal was blocked
}

function onError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE') dieOfSigpipe();
  throw e;
}

export function exitQuietlyOnBrokenPipe(): void {
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}
