/** Driver.recover for every backend: the handle of an environment from its state dir, if one is recorded there. */
import { statSync } from 'node:fs';
import type { Handle } from '../driver.js';
import type { EnvStore } from '../../core/env-store.js';
import { StateError } from '../../core/errors.js';

export function recoverHandle(store: EnvStore, dir: string, backend: Handle['backend']): Handle {
  const id = dir.split('/').pop()!;
  const rec = store.readRecord(id);
  if (!rec || !statSync(dir).isDirectory()) throw new StateError('no-such-env', `no environment recorded in ${dir}`);
  return { id: rec.id, name: rec.name, backend, dir };
}
