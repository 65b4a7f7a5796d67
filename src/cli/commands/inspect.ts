import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const inspectCommand: CommandModule<object, { envs: string[] }> = {
  command: 'inspect <envs..>',
  describe: 'Show an environment as JSON: spec, backend and why it was chosen, what it isolates, state',
  builder: (y) => y.positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' }) as never,
  handler: async (a) => {
    const out = await Promise.all(
      a.envs.map(async (ref) => {
        const { record, status, capabilities, limits, network } = berth.inspect(ref);
        const machine = await berth.machine(ref);
        // What was asked; how berth resolved it shows under Limits and Network.
        const { resolved: _resolved, ...asked } = record.spec;
        return {
          Id: record.id,
          Name: record.name,
          Created: record.createdAt,
          // As Docker's: the executable and its arguments (ENTRYPOINT + CMD after the run's overrides).
          Path: record.command.argv[0],
          Args: record.command.argv.slice(1),
          Backend: record.backend,
          BackendChoice: { ...record.choice, summary: berth.describeChoice(record.choice) },
          Isolation: {
            level: capabilities.isolation,
            separateKernel: capabilities.separateKernel,
            summary: capabilities.summary,
          },
          Rootless: record.rootless,
          Image: { ref: record.image.ref, digest: record.image.digest },
          Config: { ...asked, hostname: record.hostname },
          Limits: limits,
          Network: {
            Mode: network.mode === 'bridge' ? `bridge (${network.network})` : network.mode,
            ...(record.defaults?.network ? { Defaulted: record.defaults.network } : {}),
            ...(network.tool ? { Via: network.tool } : {}),
            ...(network.interface ? { Interface: network.interface } : {}),
            ...(network.ip ? { IPAddress: network.ip, PrefixLength: network.prefix } : {}),
            ...(network.gateway ? { Gateway: network.gateway } : {}),
            Ports: network.ports.map(berth.formatPort),
          },
          // As Docker's: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}]} while it runs.
          NetworkSettings: { Ports: berth.dockerPortBindings(network.ports) },
          // As Docker's State.OOMKilled: true once the OOM killer killed a process of the command's
          // (the container's cgroup, a VM guest's kernel); chroot enforces no memory limit: false.
          State: { ...status, OOMKilled: status.exit?.oomKilled === true },
          ...(machine ? { Machine: machine } : {}),
        };
      }),
    );
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  },
};
