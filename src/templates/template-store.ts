/**
 * Where templates live: `<data>/templates/NAME/` holding template.json and, on microvm, the
 * frozen disk (disk.qcow2, read-only) and the saved VM state (vm-state). A template is built
 * in `.NAME.build-PID` and renamed into place at the end, so a half-made one is never seen;
 * leftovers of builders that died are swept on the next list or create.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Paths } from '../core/paths.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { isProcessAlive } from '../core/process-identity.js';
import { StateError } from '../core/errors.js';
import { checkTemplateName, TEMPLATE_FILE, type TemplateRecord } from './template-record.js';

export const templatesDir = (paths: Pick<Paths, 'data'>) => join(paths.data, 'templates');
export const templateDir = (paths: Pick<Paths, 'data'>, name: string) => join(templatesDir(paths), name);

const BUILD = /^\.(.+)\.build-(\d+)$/;

/** A fresh build dir for NAME, owned by this process. */
export function buildDir(paths: Pick<Paths, 'data'>, name: string): string {
  const dir = join(templatesDir(paths), `.${name}.build-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Publishes a finished build under its name; refuses when another build got there first. */
export function publish(paths: Pick<Paths, 'data'>, dir: string, rec: TemplateRecord): void {
  writeJsonAtomic(join(dir, TEMPLATE_FILE), rec, 0o644);
  const target = templateDir(paths, rec.name);
  if (existsSync(target)) throw exists(rec.name);
  renameSync(dir, target);
}

export function exists(name: string): StateError {
  return new StateError('template-exists', `template ${name} already exists`, {
    fix: `remove it first (berth template rm ${name}) or choose another name`,
  });
}

export function readTemplate(paths: Pick<Paths, 'data'>, name: string): TemplateRecord {
  checkTemplateName(name);
  try {
    return JSON.parse(readFileSync(join(templateDir(paths, name), TEMPLATE_FILE), 'utf8')) as TemplateRecord;
  } catch {
    throw new StateError('no-such-template', `no such template: ${name}`, {
      fix: 'list them with "berth template ls", or make it with "berth template create"',
    });
  }
}

/** Every finished template; build dirs of dead builders are removed on the way. */
export function listTemplates(paths: Pick<Paths, 'data'>): TemplateRecord[] {
  const dir = templatesDir(paths);
  if (!existsSync(dir)) return [];
  const out: TemplateRecord[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const build = BUILD.exec(entry);
    if (build) {
      if (!isProcessAlive(Number(build[2]))) rmSync(join(dir, entry), { recursive: true, force: true });
      continue;
    }
    try {
      out.push(JSON.parse(readFileSync(join(dir, entry, TEMPLATE_FILE), 'utf8')) as TemplateRecord);
    } catch {
      /* not a template */
    }
  }
  return out;
}

export function removeTemplateDir(paths: Pick<Paths, 'data'>, name: string): void {
  rmSync(templateDir(paths, name), { recursive: true, force: true });
}
