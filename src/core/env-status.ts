/** How an environment's command ended, and the status derived from the state store (types: drivers return them, the store records them). */
export interface ExitResult {
  exitCode: number;
  /** The user detached (Ctrl-P Ctrl-Q) from an attached -it session; the command runs on. */
  detached?: boolean;
  signal?: string;
  oomKilled?: boolean;
  /** With ExecOptions.stdio 'pipe': what the command wrote, kept apart. */
  stdout?: Buffer;
  stderr?: Buffer;
  /** ExecOptions.timeoutMs ran out and the command was killed. */
  timedOut?: boolean;
}

export type EnvState = 'created' | 'running' | 'paused' | 'exited' | 'removed';

export interface Status {
  state: EnvState;
  pid?: number;
  monitorPid?: number;
  startedAt?: string;
  finishedAt?: string;
  exit?: ExitResult;
  /** Set when recorded state and reality disagreed and were reconciled. */
  reconciled?: string;
}
