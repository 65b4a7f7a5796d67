/**
 * A VM monitor started ahead of time ("parked"): `berth run` spawns the monitor's Node process as
 * soon as the environment's directory exists, so the monitor's own start-up (Node, its modules)
 * runs while the CLI prepares the disk, kernel and initramfs, instead of after (issue 19: the
 * VM boot rows). The parked monitor waits on its stdin, a pipe from the CLI: the line "go" says
 * its config is written; end of file (the CLI went away), its state directory gone (the creation
 * failed and was undone) or PARK_TIMEOUT_MS without a word end it with nothing done. `berth create`, restart and a later `berth start` spawn
 * the monitor when they need it, as before.
 */
import type { Readable } from 'node:stream';

/** The argument after the state directory that makes the monitor wait for "go". */
export const PARKED_ARG = '--parked';

/** How long a parked monitor waits (a first run may fetch a kernel and build a disk meanwhile). */
export const PARK_TIMEOUT_MS = 15 * 60_000;

/** How often a parked monitor looks whether its environment's directory is still there. */
export const GONE_CHECK_MS = 1000;

/** The word the CLI writes once the config is in place. */
export const GO = 'go\n';

/**
 * Resolves true once `input` has delivered the line "go"; false on end of file, an error, other
 * input, once `gone()` says the environment was removed, or after `timeoutMs`. Stops reading either way (the stream is left paused and unref'd,
 * so a CLI that exits later is no event here).
 */
export function awaitGo(input: Readable, timeoutMs: number, gone: () => boolean = () => false): Promise<boolean> {
  return new Promise((resolve) => {
    let got = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      clearInterval(check);
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      input.pause();
      (input as Readable & { unref?: () => void }).unref?.();
      resolve(ok);
    };
    const onData = (d: Buffer | string) => {
      got += d.toString();
      if (got === GO) done(true);
      else if (!GO.startsWith(got)) done(false);
    };
    const onEnd = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref?.();
    // A creation that failed in a process that lives on (berth serve) removes the directory.
    const check = setInterval(() => gone() && done(false), GONE_CHECK_MS);
    check.unref?.();
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onEnd);
  });
}
