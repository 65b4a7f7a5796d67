/** `berth pull REF`: an image from a registry, a tarball or an archive, or a debian: build. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { terminalProgress } from '../progress-hook.js';

export const pullCommand: CommandModule<
  object,
  { ref: string; 'insecure-registry': string[] | undefined; sha256: string | undefined; quiet: boolean }
> = {
  command: 'pull <ref>',
  describe:
    'Pull an image from a registry (every blob verified by its digest), a tar: rootfs tarball or an archive, or (re)build a debian:SUITE[/VARIANT] image',
  builder: (y) =>
    y
      .positional('ref', {
        type: 'string',
        describe:
          'REGISTRY/REPO[:TAG|@sha256:DIGEST], debian:SUITE[/VARIANT], tar:URL|PATH, oci-archive:PATH[:TAG], docker-archive:PATH',
      })
      .option('sha256', { type: 'string', requiresArg: true, describe: 'tar: only: the SHA-256 the tarball must have' })
      .option('insecure-registry', {
        type: 'string',
        array: true,
        describe: 'plain http for this registry (loopback always)',
      })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the digest' }) as never,
  handler: async (a) => {
    const progress = a.quiet ? undefined : terminalProgress();
    const img = await berth.pull(a.ref, {
      ...(a['insecure-registry'] ? { insecure: a['insecure-registry'] } : {}),
      ...(a.sha256 !== undefined ? { sha256: a.sha256 } : {}),
      ...(progress ? { onProgress: progress, onTransfer: progress.transfer } : {}),
      onWarning: (m: string) => process.stderr.write(`berth: warning: ${m}\n`),
    });
    progress?.(null);
    process.stdout.write(a.quiet ? `${img.digest}\n` : `${img.ref}@${img.digest}\n`);
  },
};
