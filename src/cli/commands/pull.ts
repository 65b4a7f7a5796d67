import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table, ago } from '../output.js';
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

export const imagesCommand: CommandModule<object, { format: string }> = {
  command: 'images',
  describe: 'List pulled images (the builtin busybox is always there)',
  builder: (y) =>
    y.option('format', {
      type: 'string',
      choices: ['table', 'json'],
      default: 'table',
      describe: 'output format',
    }) as never,
  handler: async (a) => {
    const list = await berth.images();
    if (a.format === 'json') {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      table(
        ['IMAGE', 'DIGEST', 'PULLED'],
        list.map((i) => [i.ref, i.digest.slice(0, 19), ago(i.pulledAt)]),
      ),
    );
  },
};

export const rmiCommand: CommandModule<object, { refs: string[]; force: boolean }> = {
  command: 'rmi <refs..>',
  describe: 'Remove pulled images and the blobs, layers and VM base disks only they used',
  builder: (y) =>
    y.positional('refs', { type: 'string', array: true, describe: 'image references' }).option('force', {
      alias: 'f',
      type: 'boolean',
      default: false,
      describe: 'even if an environment uses it',
    }) as never,
  handler: async (a) => {
    for (const ref of a.refs) {
      await berth.rmi(ref, { force: a.force });
      process.stdout.write(`Untagged: ${ref}\n`);
    }
  },
};

export const pruneCommand: CommandModule<object, { label?: string }> = {
  command: 'prune',
  describe:
    'Free blobs, unpacked layers and VM base disks that no image or environment uses, and stale partial downloads; with --label, remove the environments carrying that label instead',
  builder: (y) =>
    y.option('label', {
      type: 'string',
      requiresArg: true,
      describe: 'KEY or KEY=VALUE: remove (force) every environment with this label, e.g. berth.session=ID',
    }) as never,
  handler: async (a) => {
    if (a.label !== undefined) {
      for (const name of await berth.pruneEnvironments(a.label)) process.stdout.write(`${name}\n`);
      return;
    }
    const r = await berth.pruneImages();
    process.stdout.write(
      `removed ${r.blobs} blobs, ${r.layers} layers, ${r.disks} base disks and ${r.partials} partial downloads, ${(r.freedBytes / 1048576).toFixed(1)} MiB of blobs and partial downloads freed\n`,
    );
  },
};

export const tagCommand: CommandModule<object, { source: string; target: string }> = {
  command: 'tag <source> <target>',
  describe: 'Give a stored image another name',
  builder: (y) =>
    y
      .positional('source', { type: 'string', describe: 'an image in the store' })
      .positional('target', { type: 'string', describe: 'NAME[:TAG] or REGISTRY/REPO[:TAG]' }) as never,
  handler: async (a) => {
    process.stdout.write(`${await berth.tag(a.source, a.target)}\n`);
  },
};

/** Hidden: the session reaper started by the library's create() (see src/api/session.ts). */
export const reapCommand: CommandModule<object, { session: string }> = {
  command: '__reap <session>',
  describe: false,
  handler: async (a) => {
    await berth.reapSession(a.session);
  },
};
