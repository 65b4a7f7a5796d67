/**
 * The Docker-only settings of a container, kept with the environment so that a restarted server
 * knows them: Tty and OpenStdin are the spec's `tty` and `interactive`; what berth's spec has no
 * field for (AutoRemove, ExposedPorts, NetworkMode, Binds as given) is one label, `berth.docker`,
 * holding JSON, which the Docker views leave out of Labels.
 */
import type { EnvRecord } from '../index.js';

/** What only the Docker API knows about a container. */
export interface DockerOnly {
  tty: boolean;
  openStdin: boolean;
  autoRemove: boolean;
  exposedPorts: string[];
  networkMode: string;
  binds: string[];
}

export const DOCKER_LABEL = 'berth.docker';

type Stored = Omit<DockerOnly, 'tty' | 'openStdin'>;

/** The label's value for what a create body asked. */
export function dockerLabelValue(d: DockerOnly): string {
  const { tty: _t, openStdin: _o, ...stored } = d;
  return JSON.stringify(stored satisfies Stored);
}

/** What a container was created with (defaults for one berth made without the API). */
export function dockerSettingsOf(rec: EnvRecord): DockerOnly {
  let stored: Partial<Stored> = {};
  try {
    const raw = rec.spec.labels[DOCKER_LABEL];
    if (raw) stored = JSON.parse(raw) as Partial<Stored>;
  } catch {
    /* a label set by hand: defaults */
  }
  const strings = (v: unknown): string[] | undefined =>
    Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : undefined;
  const binds = strings(stored.binds);
  return {
    tty: rec.spec.tty,
    openStdin: rec.spec.interactive,
    autoRemove: stored.autoRemove === true,
    exposedPorts: strings(stored.exposedPorts) ?? [],
    networkMode: typeof stored.networkMode === 'string' ? stored.networkMode : 'default',
    binds: binds ?? rec.spec.mounts.map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
  };
}

/** The labels a Docker client set (without berth's own record of its settings). */
export function dockerLabels(labels: Record<string, string>): Record<string, string> {
  const { [DOCKER_LABEL]: _d, ...rest } = labels;
  return rest;
}
