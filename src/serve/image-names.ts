/**
 * Image names as Docker clients send them, mapped to berth's references: `busybox`,
 * `busybox:latest`, `docker.io/library/busybox:latest` and `library/busybox` all mean berth's
 * builtin busybox (no Docker Hub needed); other Docker Hub names lose the implicit
 * `docker.io/library/` prefix; names with their own registry stay as they are.
 */
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function berthImageRef(name: string, tag?: string): string {
  let ref = name.trim();
  const last = ref.split('/').pop() ?? '';
  if (tag && !ref.includes('@') && !last.includes(':')) ref = `${ref}${tag.startsWith('sha256:') ? '@' : ':'}${tag}`;
  const parts = ref.split('/');
  const host = parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost') ? parts[0]! : undefined;
  if (host && !HUB_HOSTS.has(host)) return ref;
  const rest = (host ? parts.slice(1).join('/') : ref).replace(/^library\//, '');
  return rest === 'busybox' || rest === 'busybox:latest' ? 'busybox' : rest;
}

/** The name Docker clients expect to see for a berth reference (`busybox:latest` for the builtin). */
export function dockerImageName(ref: string): string {
  if (ref === 'busybox' || ref === 'builtin:busybox' || ref === 'busybox:latest') return 'busybox:latest';
  const last = ref.split('/').pop() ?? ref;
  return last.includes(':') || last.includes('@') ? ref : `${ref}:latest`;
}
