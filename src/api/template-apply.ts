/** What `run --template NAME` changes in a spec (docs/templates.md, ADR 0039); the rest of templates is templates.ts. */
import type { Context } from './context.js';
import type { EnvSpec } from '../core/spec.js';
import { SpecError } from '../core/errors.js';
import type { TemplateRecord } from '../templates/template-record.js';
import { readTemplate, templateDir } from '../templates/template-store.js';

/**
 * `run --template NAME`: the template fixes the backend and image and gives its run options as
 * defaults; an explicit --backend that differs is refused. Memory, CPUs and kernel are compared
 * by the driver (a microvm clone must match its template's machine).
 */
export function applyTemplate(
  ctx: Context,
  asked: EnvSpec,
  source: string | undefined,
): { spec: EnvSpec; template: { record: TemplateRecord; dir: string } } {
  const t = readTemplate(ctx.paths, asked.template!);
  if (asked.backend !== 'auto' && asked.backend !== t.backend && source === '--backend') {
    throw new SpecError('template-backend', `template ${t.name} was made on ${t.backend}, not ${asked.backend}`, {
      fix: `drop --backend, or make a template on ${asked.backend}`,
    });
  }
  const m = t.machine;
  // A clone resumes the saved VM, made without shares (vhost-user-fs is not migratable, ADR 0059).
  if (m && asked.mounts.length > 0) {
    throw new SpecError('template-shares', `clones of microvm template ${t.name} cannot take -v`, {
      fix: 'drop -v, or run the image without --template',
    });
  }
  const spec: EnvSpec = {
    ...asked,
    backend: t.backend,
    image: t.committedImage ?? t.image,
    env: { ...t.options.env, ...asked.env },
    limits: {
      ...asked.limits,
      ...(m && asked.limits.memoryBytes === undefined ? { memoryBytes: m.memoryBytes } : {}),
      ...(m && asked.limits.cpus === undefined ? { cpus: m.cpus } : {}),
    },
  };
  if (spec.workdir === undefined && t.options.workdir !== undefined) spec.workdir = t.options.workdir;
  if (spec.user === undefined && t.options.user !== undefined) spec.user = t.options.user;
  if (spec.network === undefined && t.options.network !== undefined) spec.network = t.options.network;
  return { spec, template: { record: t, dir: templateDir(ctx.paths, t.name) } };
}
