/**
 * A bridge network's DNS (issue 17.7, ADR 0047), for real, inside a network namespace this test
 * makes: a container and a microvm on one named network resolve each other's --name and
 * --hostname through the network's resolver on its gateway (busybox nslookup asks the
 * nameserver in /etc/resolv.conf and never reads /etc/hosts), a chroot that joins the network
 * does too, and a name that is not there is NXDOMAIN. The resolver follows a member leaving and
 * is gone (process, pid file, port 53) once the last member is removed. As the unprivileged user,
 * a bridge network is refused (one line, exit 125) and no resolver starts. Forwarding to the
 * host's resolvers is not tested: the network rule forbids name resolution beyond the namespace.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, type Runner } from '../../helpers/berth-cli.js';
import { bridgeRig } from '../../helpers/bridge-rig.js';
import { requireThat } from '../../helpers/requirements.js';
import { oneLine125 } from '../../helpers/one-line-error.js';
import type { TestNetns } from '../../helpers/netns.js';
import { findExecutable } from '../../../src/host/probes/exec.js';
import { isProcessAlive } from '../../../src/core/process-identity.js';

const TOOLS = ['ip', 'nft', 'busybox', 'qemu-system-x86_64', 'ss'];
const missingTools = TOOLS.filter((t) => !findExecutable(t));
const ready = isRoot() && missingTools.length === 0;
const why = !isRoot() ? 'root (the test makes a network namespace)' : `tools: ${missingTools.join(', ')}`;
const NET = 'tdns';
const GATEWAY = '10.124.0.1';
const VM_MS = 240_000;

/** The address busybox nslookup printed for NAME (its answer section follows "Name:"). */
function answered(out: string, name: string): string | undefined {
  return new RegExp(`Name:\\s+${name}\\s+Address:\\s+(\\d+\\.\\d+\\.\\d+\\.\\d+)`).exec(out)?.[1];
}

describe('DNS of a bridge network, in a test-made network namespace', { concurrency: 1 }, () => {
  let ns: TestNetns | undefined;
  let root: Runner;
  let user: Runner;
  const pidFile = () => join(root.root, 'run', 'networks', `${NET}.dns.json`);
  const ipOf = async (name: string): Promise<string> => {
    const r = await ns!.berth(root, ['inspect', name]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout)[0].Network.IPAddress as string;
  };
  const lookup = (name: string, what: string) => ns!.berth(root, ['exec', name, 'busybox', 'nslookup', what], VM_MS);

  const rig = bridgeRig({ kernels: ['microvm'], network: NET, withUser: true, vmMs: VM_MS });
  before(async () => {
    if (ready) ({ ns, root, user } = await rig.setUp());
  });
  after(() => rig.tearDown());

  it('a container and a microvm resolve each other by name; unknown names fail; the resolver ends with the last member', {
    timeout: 900_000,
  }, async (t) => {
    if (!requireThat(t, ready, why)) return;
    const created = await ns!.berth(root, ['network', 'create', NET, '--subnet', '10.124.0.0/24']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(existsSync(pidFile()), false, 'no resolver runs for a network without members');
    const c = await ns!.berth(root, [
      'run',
      '-d',
      '-q',
      '--name',
      'dns-c',
      '--hostname',
      'dns-c-host',
      '--backend',
      'container',
      '--network',
      NET,
      'busybox',
      '--',
      'sleep',
      '600',
    ]);
    assert.equal(c.code, 0, c.stderr);
    const { pid } = JSON.parse(readFileSync(pidFile(), 'utf8')) as { pid: number };
    assert.ok(isProcessAlive(pid), 'the resolver runs once the first member is plugged in');
    const listening = ns!.sh(['ss', '-H', '-lun', `src ${GATEWAY}:53`]).stdout;
    assert.match(listening, new RegExp(`${GATEWAY.replaceAll('.', '\\.')}:53`));
    const conf = await ns!.berth(root, ['exec', 'dns-c', 'cat', '/etc/resolv.conf']);
    assert.equal(conf.stdout, `nameserver ${GATEWAY}\n`, conf.stderr);

    // The microvm joins after the resolver started: it must be answered too.
    const m = await ns!.berth(
      root,
      ['run', '-d', '-q', '--name', 'dns-m', '--backend', 'microvm', '--network', NET, 'busybox', '--', 'sleep', '600'],
      VM_MS,
    );
    assert.equal(m.code, 0, m.stderr);
    const [ipC, ipM] = [await ipOf('dns-c'), await ipOf('dns-m')];
    assert.notEqual(ipC, ipM);

    const fromC = await lookup('dns-c', 'dns-m');
    assert.equal(fromC.code, 0, fromC.stdout + fromC.stderr);
    assert.match(fromC.stdout, new RegExp(`Server:\\s+${GATEWAY.replaceAll('.', '\\.')}`));
    assert.equal(answered(fromC.stdout, 'dns-m'), ipM, fromC.stdout);

    const guestConf = await ns!.berth(root, ['exec', 'dns-m', 'cat', '/etc/resolv.conf'], VM_MS);
    assert.match(guestConf.stdout, new RegExp(`^nameserver ${GATEWAY.replaceAll('.', '\\.')}$`, 'm'), guestConf.stderr);
    for (const peer of ['dns-c', 'dns-c-host']) {
      const fromM = await lookup('dns-m', peer);
      assert.equal(fromM.code, 0, fromM.stdout + fromM.stderr);
      assert.equal(answered(fromM.stdout, peer), ipC, fromM.stdout);
    }

    // A chroot that joins the network has the same resolver (chroot's default, host, uses the host's).
    const ch = await ns!.berth(root, [
      'run',
      '--rm',
      '-q',
      '--backend',
      'chroot',
      '--network',
      NET,
      'busybox',
      '--',
      'nslookup',
      'dns-m',
    ]);
    assert.equal(ch.code, 0, ch.stdout + ch.stderr);
    assert.equal(answered(ch.stdout, 'dns-m'), ipM, ch.stdout);

    const missing = await lookup('dns-c', 'nosuchpeer');
    assert.notEqual(missing.code, 0, missing.stdout);
    assert.match(missing.stdout + missing.stderr, /NXDOMAIN/);

    // A member leaves: its name is gone at once, the resolver stays for the other.
    assert.equal((await ns!.berth(root, ['rm', '-f', 'dns-c'])).code, 0);
    const gone = await lookup('dns-m', 'dns-c');
    assert.notEqual(gone.code, 0, gone.stdout);
    assert.match(gone.stdout + gone.stderr, /NXDOMAIN/);
    assert.ok(isProcessAlive(pid), 'the resolver serves the remaining member');

    assert.equal((await ns!.berth(root, ['rm', '-f', 'dns-m'], VM_MS)).code, 0);
    assert.equal(isProcessAlive(pid), false, 'the resolver stops with the last member');
    assert.equal(existsSync(pidFile()), false);
    assert.equal(ns!.sh(['ss', '-H', '-lun', `src ${GATEWAY}:53`]).stdout.trim(), '');
  });

  it('as the unprivileged user a bridge network is refused and no resolver starts', async (t) => {
    if (!requireThat(t, ready, why)) return;
    const r = await ns!.berth(user, [
      'run',
      '--rm',
      '--backend',
      'container',
      '--network',
      NET,
      'busybox',
      '--',
      'nslookup',
      'dns-c',
    ]);
    oneLine125(r, /a bridge\) needs root/);
    assert.equal(existsSync(join(user.root, 'run', 'networks')), false);
    assert.equal(ns!.sh(['ss', '-H', '-lun', 'sport = :53']).stdout.trim(), '');
  });
});
