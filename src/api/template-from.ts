/**
 * `berth template create NAME --from ENV` (docs/templates.md, ADR 0064): a template of a running
 * environment, which keeps running. microvm: the VM saved live and its disk frozen at that moment
 * (drivers/microvm/vm-fork.ts), so clones start where it stood, processes included. container and
 * chroot: the committed filesystem. uml: refused (it cannot save a running kernel; use a pool).
 * Built in the same private dir as `template create` and renamed into place at the end.
 */
import { rmSync } from 'node:fs';
import type { Context } from './context.js';
import { resolveEnv } from './lifecycle.js';
import { BerthError, DriverError, StateError } from '../core/errors.js';
import { checkTemplateName, type TemplateRecord } from '../templates/template-record.js';
import { buildDir, exists, listTemplates } from '../templates/template-store.js';
import { committedRef, publishTemplate, readTemplateOrUndefined } from './templates.js';

export async function createTemplateFrom(
  ctx: Context,
  name: string,
  envRef: string,
  onWarning?: (msg: string) => void,
): Promise<TemplateRecord> {
  checkTemplateName(name);
  const { record, handle, driver } = resolveEnv(ctx, envRef);
  if (record.backend === 'uml') {
    throw new DriverError(
      'template-unsupported',
      `a template cannot be made from uml environment ${record.name}: User-mode Linux cannot save a running kernel`,
      {
        fix: `keep booted uml environments ready with a warm pool instead: berth pool create NAME --size N --backend uml IMAGE`,
      },
    );
  }
  const state = ctx.store.status(record.id).state;
  if (state !== 'running') {
    throw new StateError('not-running', `environment ${record.name} is ${state}, not running`, {
      fix:
        state === 'paused'
          ? `unpause it first: berth unpause ${record.name}`
          : `start it (berth start ${record.name}), or make the template from its image with a setup command`,
    });
  }
  listTemplates(ctx.paths); // sweeps builds of builders that died
  if (readTemplateOrUndefined(ctx, name)) throw exists(name);
  const started = Date.now();
  const dir = buildDir(ctx.paths, name);
  try {
    const machine = await driver.saveTemplate(handle, dir, true);
    let committedImage: string | undefined;
    if (!machine) {
      const { commitEnv } = await import('./commit.js');
      const ref = committedRef(name);
      try {
        committedImage = (await commitEnv(ctx, record.id, ref)).ref;
      } catch (e) {
        // chroot, and a rootless container without a freezer: copied while it runs, as commit --no-pause.
        if (!(e instanceof BerthError && e.code === 'commit-running')) throw e;
        onWarning?.(
          `environment ${record.name} cannot be paused here: its filesystem was copied while it ran (files it wrote meanwhile may be half-written)`,
        );
        committedImage = (await commitEnv(ctx, record.id, ref, { pause: false })).ref;
      }
    }
    return publishTemplate(ctx, dir, {
      name,
      backend: record.backend,
      image: record.spec.image,
      setup: [],
      from: record.name,
      started,
      options: record.spec,
      ...(committedImage ? { committedImage } : {}),
      ...(machine ? { machine } : {}),
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
