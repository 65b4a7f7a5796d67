/** `berth port ENV [PORT[/PROTO]]`: the published ports of a running environment, as Docker prints them. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

const PORT_RE = /^(\d{1,5})(?:\/(tcp|udp))?$/;

function hostSide(p: berth.PortMapping): string {
  const ip = p.hostIp ?? '0.0.0.0';
  return `${ip.includes(':') ? `[${ip}]` : ip}:${p.hostPort}`;
}

export const portCommand: CommandModule<object, { env: string; port: string | undefined }> = {
  command: 'port <env> [port]',
  describe: 'List published ports (PORT[/tcp|udp]: only where that port inside is published)',
  builder: (y) =>
    y
      .positional('env', { type: 'string', describe: 'id, id prefix or name' })
      .positional('port', { type: 'string', describe: 'a port inside, e.g. 80 or 53/udp' }) as never,
  handler: async (a) => {
    let want: { port: number; protocol: string } | undefined;
    if (a.port !== undefined) {
      const m = PORT_RE.exec(String(a.port));
      const port = Number(m?.[1]);
      if (!m || port < 1 || port > 65535)
        throw new berth.SpecError('bad-port', `invalid port "${a.port}"`, { fix: 'give PORT or PORT/tcp or PORT/udp' });
      want = { port, protocol: m[2] ?? 'tcp' };
    }
    const i = berth.inspect(String(a.env));
    const running = i.status.state === 'running' || i.status.state === 'paused';
    const ports = running ? i.network.ports : [];
    if (want) {
      const hits = ports.filter((p) => p.guestPort === want.port && p.protocol === want.protocol);
      if (hits.length === 0)
        throw new berth.SpecError(
          'no-such-port',
          `no public port '${want.port}/${want.protocol}' published for ${i.record.name}`,
          {
            fix: `publish it with -p HOST:${want.port}/${want.protocol} when creating the environment`,
          },
        );
      for (const p of hits) process.stdout.write(`${hostSide(p)}\n`);
      return;
    }
    for (const p of ports) process.stdout.write(`${p.guestPort}/${p.protocol} -> ${hostSide(p)}\n`);
  },
};
