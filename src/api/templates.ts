/**
 * Templates (docs/templates.md, ADR 0039): `berth template create|ls|inspect|rm` and what
 * `run --template` changes in a spec. A template is made by running the setup command in an
 * ordinary environment (labelled, and reaped with this process's session if it dies), then
 * keeping its result: on microvm the whole VM (saved state + frozen disk), on container and
 * chroot the committed filesystem. Built in a private dir and renamed into place.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import type { EnvSpec } from '../core/spec.js';
import { createAndStart, removeEnv, type CreateHooks } from './lifecycle.js';
import { DriverError, SpecError, StateError } from '../core/errors.js';
import { SESSION_LABEL, ensureReaper, sessionId } from './session.js';
import {
  checkTemplateName,
  TEMPLATE_BUILD_LABEL,
  type TemplateMachine,
  type TemplateRecord,
} from '../templates/template-record.js';
import {
  buildDir,
  exists,
  listTemplates,
  publish,
  readTemplate,
  removeTemplateDir,
  templateDir,
} from '../templates/template-store.js';

/** Allocated bytes of the files in a directory (sparse files count what they use). */
export function allocated(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f)).blocks * 512;
  return n;
}

export const committedRef = (name: string) => `berth-template/${name}:latest`;

/** What differs between a template made by `template create` and one made `--from` a running environment. */
export interface TemplateParts {
  name: string;
  backend: TemplateRecord['backend'];
  image: string;
  setup: string[];
  from?: string;
  committedImage?: string;
  machine?: TemplateMachine;
  /** Date.now() when the creation began. */
  started: number;
  /** The run options a clone inherits. */
  options: Pick<EnvSpec, 'env' | 'workdir' | 'user' | 'network'>;
}

/** The template's record, written into its build directory `dir` and renamed into place. */
export function publishTemplate(ctx: Context, dir: string, p: TemplateParts): TemplateRecord {
  const o = p.options;
  const rec: TemplateRecord = {
    name: p.name,
    backend: p.backend,
    image: p.image,
    ...(p.committedImage ? { committedImage: p.committedImage } : {}),
    setup: p.setup,
    ...(p.from !== undefined ? { from: p.from } : {}),
    createdAt: new Date().toISOString(),
    createSeconds: Math.round((Date.now() - p.started) / 10) / 100,
    sizeBytes: allocated(dir),
    kept: { filesystem: true, memory: p.machine !== undefined, processes: p.machine !== undefined },
    options: {
      env: o.env,
      ...(o.workdir !== undefined ? { workdir: o.workdir } : {}),
      ...(o.user !== undefined ? { user: o.user } : {}),
      ...(o.network !== undefined ? { network: o.network } : {}),
    },
    ...(p.machine ? { machine: p.machine } : {}),
  };
  publish(ctx.paths, dir, rec);
  return rec;
}

/**
 * Run `spec.command` (the setup; `true` when empty) in a new environment and keep the result as
 * template NAME. `spec.backend` decides what is kept (microvm: memory and processes too).
 */
export async function createTemplate(
  ctx: Context,
  name: string,
  asked: EnvSpec,
  hooks: CreateHooks = {},
  source?: string,
  root?: string,
): Promise<TemplateRecord> {
  checkTemplateName(name);
  if (asked.template !== undefined)
    throw new SpecError('template-of-template', 'a template cannot be made from another template yet', {
      fix: 'make it from an image, with the setup of both',
    });
  listTemplates(ctx.paths); // sweeps builds of builders that died
  if (readTemplateOrUndefined(ctx, name)) throw exists(name);
  const started = Date.now();
  const dir = buildDir(ctx.paths, name);
  ensureReaper(root);
  const spec: EnvSpec = {
    ...asked,
    command: asked.command.length > 0 ? asked.command : ['true'],
    detach: true,
    autoRemove: false,
    tty: false,
    interactive: false,
    labels: { ...asked.labels, [TEMPLATE_BUILD_LABEL]: name, [SESSION_LABEL]: sessionId() },
  };
  delete spec.name;
  let envId: string | undefined;
  try {
    const onChoice: NonNullable<CreateHooks['onChoice']> = (c, resolved) => {
      if (c.chosen === 'uml') {
        throw new DriverError('template-unsupported', 'templates are not available on the uml backend', {
          fix: 'use --backend microvm (memory and processes kept) or container (the filesystem kept)',
        });
      }
      // vhost-user-fs is not migratable: QEMU cannot save a VM with virtiofs shares (ADR 0059).
      if (c.chosen === 'microvm' && spec.mounts.length > 0) {
        throw new DriverError(
          'template-shares',
          'a microvm template cannot be made with -v (its shares cannot be saved)',
          {
            fix: 'drop -v (copy what the setup needs in with the image or the setup command), or use --backend container',
          },
        );
      }
      hooks.onChoice?.(c, resolved);
    };
    const { handle, driver } = await createAndStart(ctx, spec, { ...hooks, onChoice }, source);
    envId = handle.id;
    const res = await driver.wait(handle);
    if (res.exitCode !== 0) {
      const why = ctx.store.readExit(handle.id)?.error;
      throw new DriverError(
        'template-setup-failed',
        `the setup command of template ${name} exited with ${res.exitCode}${why ? `: ${why}` : ''}`,
        { fix: 'fix the setup command (run it with berth run first to see its output)' },
      );
    }
    const machine: TemplateMachine | undefined = await driver.saveTemplate(handle, dir);
    let committedImage: string | undefined;
    if (!machine) {
      const { commitEnv } = await import('./commit.js');
      committedImage = (await commitEnv(ctx, handle.id, committedRef(name), { pause: false })).ref;
    }
    return publishTemplate(ctx, dir, {
      name,
      backend: handle.backend,
      image: asked.image,
      setup: asked.command,
      started,
      options: asked,
      ...(committedImage ? { committedImage } : {}),
      ...(machine ? { machine } : {}),
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    if (envId) await removeEnv(ctx, envId, true).catch(() => undefined);
  }
}

export function readTemplateOrUndefined(ctx: Context, name: string): TemplateRecord | undefined {
  try {
    return readTemplate(ctx.paths, name);
  } catch {
    return undefined;
  }
}

export function templates(ctx: Context): TemplateRecord[] {
  return listTemplates(ctx.paths);
}

/** The record, where its files are, and the environments started from it. */
export function inspectTemplate(ctx: Context, name: string) {
  const record = readTemplate(ctx.paths, name);
  const clones = ctx.store
    .list()
    .filter((r) => r.spec.template === name)
    .map((r) => ({ name: r.name, state: ctx.store.status(r.id).state }));
  return { ...record, dir: templateDir(ctx.paths, name), clones };
}

/**
 * Remove a template. Refused while clones of it run (they read its disk); with `force` it goes
 * anyway: running microvm clones keep the files they opened until they end.
 */
export async function removeTemplate(ctx: Context, name: string, force: boolean): Promise<void> {
  const record = readTemplate(ctx.paths, name);
  const running = ctx.store
    .list()
    .filter((r) => r.spec.template === name)
    .filter((r) => ['running', 'paused', 'created'].includes(ctx.store.status(r.id).state));
  if (running.length > 0 && !force) {
    throw new StateError(
      'template-in-use',
      `template ${name} is used by running environments: ${running.map((r) => r.name).join(', ')}`,
      { fix: `stop them first, or use "berth template rm -f ${name}" (running clones keep its files open)` },
    );
  }
  removeTemplateDir(ctx.paths, name);
  if (record.committedImage) {
    const { removeImage } = await import('./images.js');
    await removeImage(ctx, record.committedImage, true).catch(() => undefined);
  }
}
