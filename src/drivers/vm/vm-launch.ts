/**
 * The seam between the VM monitor and a VM backend: how to start the VM process and how its
 * control channel and console reach the monitor. uml passes host fds; microvm may have qemu
 * listen on a unix socket instead.
 */
export interface VmLaunch {
  /** argv[0] is the program. */
  argv: string[];
  /** The control channel: `fd`: the child's fd N is one end of a socketpair; `unix`: connect to a socket the VM creates. */
  ctl: ({ kind: 'fd'; fd: number } | { kind: 'unix'; path: string }) & {
    /**
     * `acked` (default): the channel ends in a guest tty that must never be throttled, so the host
     * keeps at most GUEST_WINDOW bytes unacknowledged (guest-flow.ts). `stream`: the channel has
     * flow control of its own (a virtio-serial port: QEMU reads the socket only as the guest
     * takes it), so the host writes as fast as the socket takes it and the init sends no ACK.
     */
    flow?: 'acked' | 'stream';
  };
  /** The child's fd the guest console is written to (its stdout and stderr are logged too). */
  consoleFd?: number;
  /** Extra environment for the VM process. */
  env?: Record<string, string>;
  /** What the backend is called in messages ("the uml kernel"). */
  what: string;
  /** The host identity the VM process runs as (root's uml kernel, ADR 0046); absent: the monitor's. */
  user?: { uid: number; gid: number };
  /** Its working directory (one that `user` may enter); absent: the monitor's. */
  cwd?: string;
  /** Processes started before the VM (microvm: virtiofsd per -v share); the VM starts once each listens (vm-helpers.ts). */
  helpers?: VmHelper[];
  /** A string every helper's argv holds (and no other process's): what ends them with the VM. */
  helpersNeedle?: string;
}

export interface VmHelper {
  argv: string[];
  /** The unix socket it listens on; the VM connects to it. */
  socket: string;
  /** Its name in messages ("the virtiofsd of -v /src"). */
  what: string;
}
