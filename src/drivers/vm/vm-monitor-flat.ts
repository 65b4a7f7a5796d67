/**
 * monitor.cfg: the VmMonitorConfig as `key NUL value NUL` pairs for the native monitor
 * (native/vmmon/config.c), which needs no JSON parser: `arg`, `env` and `exit_hook` repeat in
 * order (a helper's `helper_socket` and `helper_arg`s follow its `helper`), START payloads are
 * hex (the command's, each relayed port's `berth-connect`, the hosts copy's `berth-hosts`). Pure.
 */
import { encodeIdentity, encodeStart } from './guest-protocol.js';
import { HOSTS_REQUEST } from './vm-hosts-sync.js';
import { relayRequest } from './vm-port-relay.js';
import type { VmMonitorConfig } from './vm-monitor-config.js';

export const MONITOR_FLAT_CONFIG = 'monitor.cfg';

export function encodeMonitorFlat(cfg: VmMonitorConfig): Buffer {
  const l = cfg.launch;
  const pairs: [string, string][] = [
    ['state_dir', cfg.stateDir],
    ['log_file', cfg.logFile],
    ['console_log', cfg.consoleLog],
    ['log_max_bytes', String(cfg.logMaxBytes)],
    ['log_max_files', String(cfg.logMaxFiles)],
    ['socket', cfg.socketPath],
    ['attached', cfg.attached ? '1' : '0'],
    ['boot_timeout_ms', String(cfg.bootTimeoutMs)],
    ['what', l.what],
    ...l.argv.map((a): [string, string] => ['arg', a]),
    ...Object.entries(l.env ?? {}).map(([k, v]): [string, string] => ['env', `${k}=${v}`]),
    ...(l.ctl.kind === 'fd'
      ? [['ctl_fd', String(l.ctl.fd)] as [string, string]]
      : [['ctl_path', l.ctl.path] as [string, string]]),
    ['ctl_flow', l.ctl.flow ?? 'acked'],
    ['start', encodeStart(cfg.main).toString('hex')],
  ];
  if (cfg.owner) {
    pairs.push(['owner_pid', String(cfg.owner.pid)]);
    if (cfg.owner.start !== undefined) pairs.push(['owner_start', String(cfg.owner.start)]);
  }
  for (const a of cfg.exitHook ?? []) pairs.push(['exit_hook', a]);
  if (l.consoleFd !== undefined) pairs.push(['console_fd', String(l.consoleFd)]);
  if (l.user) pairs.push(['uid', String(l.user.uid)], ['gid', String(l.user.gid)]);
  if (l.cwd) pairs.push(['cwd', l.cwd]);
  if (cfg.holdAfterExit) pairs.push(['hold_after_exit', '1']);
  if (cfg.identity) {
    // Checked as the Node monitor's IDENTITY would be (hostname, lease, MAC), here rather than in C.
    encodeIdentity({ ...cfg.identity, time: { sec: 0, nsec: 0 }, seed: Buffer.alloc(1) });
    pairs.push(['identity_hostname', cfg.identity.hostname]);
    if (cfg.identity.net) pairs.push(['identity_net', cfg.identity.net.lease], ['identity_mac', cfg.identity.net.mac]);
  }
  if (cfg.bulkDir) pairs.push(['bulk_dir', cfg.bulkDir]);
  if (cfg.bulkDisk) pairs.push(['bulk_disk', cfg.bulkDisk]);
  for (const h of l.helpers ?? [])
    pairs.push(
      ['helper', h.what],
      ['helper_socket', h.socket],
      ...h.argv.map((a): [string, string] => ['helper_arg', a]),
    );
  if (l.helpersNeedle) pairs.push(['helpers_needle', l.helpersNeedle]);
  for (const h of cfg.holdPorts ?? []) pairs.push(['hold_port', h]);
  for (const p of cfg.relayedPorts ?? [])
    pairs.push(['relay', `${p.hostPort} ${p.hostAddr} ${encodeStart(relayRequest(p.guestPort)).toString('hex')}`]);
  if (cfg.hostsFile)
    pairs.push(['hosts_file', cfg.hostsFile], ['hosts_start', encodeStart(HOSTS_REQUEST).toString('hex')]);
  for (const [k, v] of pairs) if (v.includes('\0')) throw new RangeError(`monitor.cfg: ${k} contains a NUL byte`);
  return Buffer.from(pairs.map(([k, v]) => `${k}\0${v}\0`).join(''));
}
