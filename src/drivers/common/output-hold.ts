/**
 * Output its caller cannot take yet (ExecOptions.onStdout returned a promise): SOURCE, the stream
 * the command's output comes from, is paused until every such promise has settled. The output
 * then waits in the kernel's pipe (the shim) or behind the monitor's window (a VM), never in this
 * process.
 */
export function outputHold(source: { pause(): unknown; resume(): unknown }): (wait: unknown) => void {
  let pending = 0;
  const release = () => {
    if (--pending === 0) source.resume();
  };
  // Anything but a promise is ignored: a callback typed `=> void` may return what it likes (a push's length).
  return (wait) => {
    if (!(wait instanceof Promise)) return;
    if (pending++ === 0) source.pause();
    wait.then(release, release);
  };
}
