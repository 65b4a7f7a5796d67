/**
 * Checks whose assertions are about what the guest does (its processes, terminal, streams, exit
 * statuses, image config, logs of its output), not about what berth does on the host. On a VM
 * backend the guest is the same kernel and init whoever runs berth: the host user changes how the
 * VM is started, kept and reached (every other check, run in both modes, covers that), not what
 * happens inside it. So on uml and microvm each of these runs in ONE mode, alternating root and
 * the test user down the list, and every VM boot of the two modes still goes through both users'
 * start paths. On chroot and container, where the host user is the isolation, all checks run in
 * both modes. Checks that touch host state (files, -v, networks, channels, pause, host processes,
 * cleanup) are not listed here.
 */
import type { Mode } from '../helpers/berth-cli.js';
import type { Check } from './checks.js';
import { isVm } from './checks.js';

export const GUEST_SIDE: readonly string[] = [
  'exit status and stdout/stderr separation',
  'environment variables, workdir, user and hostname',
  'default image and command-not-found / not-executable statuses',
  'devices, proc and a read-only sys',
  'signals sent to berth reach the command',
  'an interactive terminal gets a real pty',
  '-dit gives a detached command a terminal (24x80) whose output is logged',
  'Ctrl-P Ctrl-Q detaches an -it session and the command keeps running',
  'a detached command that cannot start (start-failed): exit 127 and one line with a fix',
  'OOM kills: inspect has State.OOMKilled, detached or attached, and the attached run says so',
  'VM: a command with 10000 arguments runs',
  'image config: ENTRYPOINT + CMD with its ENV, WORKDIR and USER; arguments replace only CMD; exec is unaffected; inspect shows Path and Args',
  "image config: --entrypoint replaces ENTRYPOINT and drops the image's CMD; --entrypoint '' clears it; nothing to run is one line, exit 125",
  'logs are kept after exit, per stream, with --tail',
  'logs: both streams across rotations, in full and --tail',
  'logs: byte-exact (invalid UTF-8, NUL), live and from the log',
];

/**
 * Whether `check` runs in `mode` on `backend`, given every check of the suite (an unknown name in
 * GUEST_SIDE throws). With one mode (BERTH_TEST_MODES), everything runs in it.
 */
export function runsInMode(
  all: readonly Check[],
  modes: readonly Mode[],
): (c: Check, backend: string, mode: Mode) => boolean {
  for (const n of GUEST_SIDE) if (!all.some((c) => c.name === n)) throw new Error(`GUEST_SIDE names no check "${n}"`);
  return (c, backend, mode) => {
    const i = GUEST_SIDE.indexOf(c.name);
    if (i < 0 || !isVm(backend) || modes.length < 2) return true;
    return mode === (i % 2 === 0 ? 'root' : 'rootless');
  };
}
