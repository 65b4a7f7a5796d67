/** `berth login REGISTRY`: check and store registry credentials (kept as Podman keeps them). */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export const loginCommand: CommandModule<
  object,
  {
    registry: string;
    username: string | undefined;
    'password-stdin': boolean;
    'insecure-registry': string[] | undefined;
  }
> = {
  command: 'login <registry>',
  describe: 'Log in to a registry (checked against it, then stored in auth.json)',
  builder: (y) =>
    y
      .positional('registry', { type: 'string', describe: 'HOST[:PORT]' })
      .option('username', { alias: 'u', type: 'string', requiresArg: true, describe: 'user name' })
      .option('password-stdin', { type: 'boolean', default: false, describe: 'read the password from stdin' })
      .option('insecure-registry', {
        type: 'string',
        array: true,
        describe: 'plain http for this registry (loopback always)',
      }) as never,
  handler: async (a) => {
    if (!a.username) throw new berth.SpecError('usage', 'berth login needs a user name', { fix: 'give -u USER' });
    if (!a['password-stdin']) {
      throw new berth.SpecError('usage', 'berth login reads the password from stdin only', {
        fix: 'pipe it in: echo "$PASSWORD" | berth login -u USER --password-stdin REGISTRY',
      });
    }
    const password = await readStdin();
    const r = await berth.login(
      a.registry,
      a.username,
      password,
      a['insecure-registry'] ? { insecure: a['insecure-registry'] } : {},
    );
    process.stdout.write(`Login Succeeded (${r.registry}, credentials in ${r.file})\n`);
  },
};
