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

/**
 * The handler goes on when the stream is first made (process.stdout and process.stderr are getters
 * that make it): making one on a pipe costs 1-5 ms, and `run` and `exec` often write nothing
 * themselves (the command writes to the inherited descriptors; ADR 0073).
 */
function onceMade(name: 'stdout' | 'stderr'): void {
  const d = Object.getOwnPropertyDescriptor(process, name);
  if (!d?.get || !d.configurable) {
    process[name].on('error', onError);
    return;
  }
  const make = d.get;
  Object.defineProperty(process, name, {
    ...d,
    get() {
      Object.defineProperty(process, name, d);
      const stream = make.call(process) as NodeJS.WriteStream;
      stream.on('error', onError);
      return stream;
    },
  });
}

export function exitQuietlyOnBrokenPipe(): void {
  onceMade('stdout');
  onceMade('stderr');
}
