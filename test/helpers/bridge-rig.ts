/**
 * What the tests of VMs on a bridge network share: a root runner (and the test user's, if asked)
 * whose berth runs inside a network namespace the test makes, the kernels fetched (and verified)
 * before it, outside the namespace, which reaches nothing; and afterwards every environment and
 * the network removed, the namespace and the stores gone.
 */
import { makeRunner, type Runner } from './berth-cli.js';
import { makeNetns, type TestNetns } from './netns.js';
import { assertTestMirror } from './test-mirror.js';

export interface BridgeRig {
  ns: TestNetns;
  root: Runner;
  /** The test user's runner (outside the namespace), when asked for. */
  user: Runner;
}

export interface BridgeRigOptions {
  /** Kernels to fetch first: 'microvm', 'uml'. */
  kernels: string[];
  /** The network the test creates (removed afterwards). */
  network: string;
  /** Also a runner for the test user. */
  withUser?: boolean;
  /** How long an `rm -f` of the VMs left may take. */
  vmMs: number;
}

export function bridgeRig(opts: BridgeRigOptions): { setUp(): Promise<BridgeRig>; tearDown(): Promise<void> } {
  let rig: BridgeRig | undefined;
  return {
    async setUp() {
      assertTestMirror();
      const root = makeRunner('root');
      for (const k of opts.kernels) {
        const r = await root.run(['kernels', '--fetch', k], { timeoutMs: 900_000 });
        if (r.code !== 0) throw new Error(`fetching the ${k} kernel failed: ${r.stderr}`);
      }
      const user = opts.withUser ? makeRunner('rootless') : (undefined as unknown as Runner);
      rig = { ns: makeNetns(), root, user };
      return rig;
    },
    async tearDown() {
      if (!rig) return;
      const { ns, root, user } = rig;
      const ids = (await ns.berth(root, ['ps', '-a', '-q'])).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await ns.berth(root, ['rm', '-f', ...ids], opts.vmMs);
      await ns.berth(root, ['network', 'rm', opts.network]);
      ns.remove();
      root.cleanup();
      user?.cleanup();
    },
  };
}
