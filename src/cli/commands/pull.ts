/**
 * `berth pull [OPTIONS] REF`: an image from a registry, a tarball or an archive, or a debian: build.
 * On the CLI's hot path (no yargs, ADR 0050): a pull is timed against skopeo. Options may also
 * follow REF, as they could under yargs.
 */
import * as berth from '../../index.js';
import { parseFastArgs } from '../fast-args.js';
import { PULL_OPTIONS } from '../options/pull-options.js';
import { terminalProgress } from '../progress-hook.js';

export const PULL_USAGE = 'pull [OPTIONS] REF';
export const PULL_DESCRIBE =
  'Pull an image from a registry (every blob verified by its digest), a tar: rootfs tarball or an archive, or (re)build a debian:SUITE[/VARIANT] image. REF: REGISTRY/REPO[:TAG|@sha256:DIGEST], debian:SUITE[/VARIANT], tar:URL|PATH, oci-archive:PATH[:TAG], docker-archive:PATH';

/** REF and the options, before or after it (pure). */
export function parsePullArgs(argv: string[]): { ref: string; insecure: string[]; sha256?: string; quiet: boolean } {
  const first = parseFastArgs(argv, PULL_OPTIONS, { min: 0, max: 1 });
  if (first.positionals.length === 0)
    throw new berth.SpecError('missing-arg', 'pull needs an image reference', { fix: 'berth pull [OPTIONS] REF' });
  const after: { options: Record<string, string | boolean | string[]>; command: string[] } = first.dashDash
    ? { options: {}, command: first.command }
    : parseFastArgs(first.command, PULL_OPTIONS, { min: 0, max: 0 });
  if (after.command.length > 0) {
    throw new berth.SpecError('usage', `pull takes one image reference, not also "${after.command[0]}"`, {
      fix: 'berth pull [OPTIONS] REF',
    });
  }
  const o = { ...first.options, ...after.options };
  const insecure = [first.options['insecure-registry'], after.options['insecure-registry']].flatMap((v) =>
    Array.isArray(v) ? v : [],
  );
  return {
    ref: first.positionals[0]!,
    insecure,
    ...(typeof o.sha256 === 'string' ? { sha256: o.sha256 } : {}),
    quiet: o.quiet === true,
  };
}

export async function pullCommand(argv: string[]): Promise<number> {
  const a = parsePullArgs(argv);
  const progress = a.quiet ? undefined : terminalProgress();
  const img = await berth.pull(a.ref, {
    ...(a.insecure.length ? { insecure: a.insecure } : {}),
    ...(a.sha256 !== undefined ? { sha256: a.sha256 } : {}),
    ...(progress ? { onProgress: progress, onTransfer: progress.transfer } : {}),
    onWarning: (m: string) => process.stderr.write(`berth: warning: ${m}\n`),
  });
  progress?.(null);
  process.stdout.write(a.quiet ? `${img.digest}\n` : `${img.ref}@${img.digest}\n`);
  return 0;
}
