/**
 * Docker's wording for durations and environment states (`docker ps` STATUS and CREATED):
 * "Less than a second", "13 seconds", "About a minute", "5 minutes", "About an hour", "2 hours",
 * "3 days", "2 weeks", "4 months", "2 years" (go-units HumanDuration). Pure.
 */
import type { Status } from '../index.js';

export function humanDuration(ms: number): string {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "13 seconds ago"; empty for a missing or unparsable time. */
export function humanAgo(iso: string | undefined, now: number): string {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? '' : `${humanDuration(now - t)} ago`;
}

/** The STATUS column of `berth ps`: "Up 5 minutes", "Up 2 hours (Paused)", "Exited (3) 5 seconds ago", "Created". */
export function statusText(s: Status, now: number): string {
  const up = (): string => {
    const t = s.startedAt === undefined ? NaN : Date.parse(s.startedAt);
    return Number.isNaN(t) ? 'Up' : `Up ${humanDuration(now - t)}`;
  };
  switch (s.state) {
    case 'running':
      return up();
    case 'paused':
      return `${up()} (Paused)`;
    case 'exited':
      return (
        `Exited (${s.exit?.exitCode ?? '?'}) ${humanAgo(s.finishedAt, now)}`.trim() +
        (s.reconciled ? ' [reconciled]' : '')
      );
    default:
      return s.state[0]!.toUpperCase() + s.state.slice(1);
  }
}
