/** Label selectors: `KEY` (present) or `KEY=VALUE` (equal), as `docker ps --filter label=` takes them. */
import { SpecError } from '../core/errors.js';

export interface LabelSelector {
  key: string;
  value?: string;
}

export function parseLabelSelector(s: string): LabelSelector {
  const at = s.indexOf('=');
  const key = at < 0 ? s : s.slice(0, at);
  if (!key || /\s/.test(key))
    throw new SpecError('bad-label', `bad label selector "${s}"`, {
      fix: 'use KEY or KEY=VALUE, e.g. --label berth.session=abc',
    });
  return at < 0 ? { key } : { key, value: s.slice(at + 1) };
}

export function matchesLabel(labels: Record<string, string> | undefined, sel: LabelSelector): boolean {
  if (!labels || !Object.hasOwn(labels, sel.key)) return false;
  return sel.value === undefined || labels[sel.key] === sel.value;
}
