/**
 * A VM environment's runtime directory (sockets, the uml_dir, the bulk channel's files):
 * `<runtime>/vm/<first 16 hex of the id>`, short enough for a unix socket's path. It follows from
 * the id alone, so `rm` finds it even when the create that made it was killed before it wrote the
 * backend's files record (which names it too).
 */
import { join } from 'node:path';

export function vmRunDir(paths: { runtime: string }, id: string): string {
  return join(paths.runtime, 'vm', id.slice(0, 16));
}
