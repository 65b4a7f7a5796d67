/**
 * What an operation a backend does not have answers (the library checks capabilities first, so
 * this is the last word, not the usual one).
 */
import type { BackendName } from '../../core/spec.js';
import { DriverError } from '../../core/errors.js';

export function unsupported(backend: BackendName, what: string): Promise<never> {
  return Promise.reject(
    new DriverError('unsupported', `the ${backend} backend cannot ${what}`, {
      fix: 'see "berth doctor" for what each backend can do',
    }),
  );
}
