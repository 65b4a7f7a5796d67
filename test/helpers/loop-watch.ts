/**
 * A watch on this test process's event loop. The VM conformance suite runs its two modes side by
 * side in one process: a synchronous call in one (spawnSync of a VM run) stops the other's timers
 * and sockets, and a GET there then "times out" without the network being at fault. The suite
 * fails when the loop stood still longer than it allows, naming when.
 */

/** A stop of the event loop: how long, and when it ended. */
export interface LoopStop {
  ms: number;
  endedAt: Date;
}

export interface LoopWatch {
  /** The longest stop that ended after `since` (epoch ms; any when absent). */
  longest(since?: number): LoopStop | undefined;
}

let shared: LoopWatch | undefined;

/** The process's one watch, started on first use: a timer every 100 ms; a tick over 400 ms late is a stop. */
export function eventLoopWatch(): LoopWatch {
  shared ??= watchEventLoop(100, 400);
  return shared;
}

function watchEventLoop(tickMs: number, slackMs: number): LoopWatch {
  const stops: LoopStop[] = [];
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - last - tickMs;
    if (late > slackMs) stops.push({ ms: now - last, endedAt: new Date(now) });
    last = now;
  }, tickMs);
  timer.unref();
  return {
    longest(since = 0) {
      let worst: LoopStop | undefined;
      for (const s of stops) if (s.endedAt.getTime() > since && (!worst || s.ms > worst.ms)) worst = s;
      return worst;
    },
  };
}
