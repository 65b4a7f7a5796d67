/**
 * What `--network` asks for. none: loopback only; host: the host's network (no namespace);
 * user: an own interface through pasta or slirp4netns (rootless); bridge: the default berth
 * bridge network; any other name: a network made by `berth network create`. Pure: the one parse
 * of the flag (called by resolved-spec.ts, which applies the defaults).
 */
import { SpecError } from './errors.js';

export type NetworkMode =
  | { kind: 'none' }
  | { kind: 'host' }
  | { kind: 'user' }
  /** A bridge network: `bridge` (the default one, created on first use) or a named one. */
  | { kind: 'bridge'; network: string };

export const DEFAULT_BRIDGE = 'bridge';
export const RESERVED_NETWORK_NAMES = ['none', 'host', 'user', 'default', 'private', 'slirp4netns', 'pasta'] as const;

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export function checkNetworkName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new SpecError('bad-network-name', `invalid network name "${name}"`, {
      fix: 'use letters, digits, "_", "." and "-" (up to 63, starting with a letter or digit)',
    });
  }
  return name;
}

export function parseNetworkMode(value: string): NetworkMode {
  if (value === 'none' || value === 'host' || value === 'user') return { kind: value };
  if (value === 'slirp4netns' || value === 'pasta') {
    throw new SpecError('bad-network', `--network ${value}: berth picks pasta or slirp4netns itself`, {
      fix: 'use --network user (berth inspect shows which one runs)',
    });
  }
  return { kind: 'bridge', network: checkNetworkName(value) };
}

/** Whether berth plumbs the namespace from outside (user, bridge, NAME), via the shim's handshake. */
export function isPlumbed(mode: NetworkMode): boolean {
  return mode.kind !== 'none' && mode.kind !== 'host';
}
