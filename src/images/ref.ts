/**
 * Image references: a strict parser for what a user may write as IMAGE.
 *
 *   NAME[:TAG][@sha256:HEX]      a registry image, with Docker's defaults (docker.io, library/, latest)
 *   docker://NAME[:TAG|@DIGEST]  the same, explicitly (needed for Docker Hub's debian/busybox images)
 *   oci-archive:PATH[:TAG]       an OCI image layout in a tar file
 *   docker-archive:PATH          a `docker save` tar file
 *   tar:PATH|URL                 a root filesystem tarball (http(s) URL or local path)
 *   dir:PATH                     a root filesystem directory
 *   debian:SUITE[/VARIANT]       a Debian root filesystem built from the mirror
 *   busybox                      the builtin busybox image (also busybox:latest, builtin:busybox)
 *
 * `debian:bookworm` and `busybox` therefore do NOT name Docker Hub's images: write
 * `docker.io/library/debian:bookworm` or `docker://debian:bookworm` for those (ADR 0009).
 * Anything malformed is an ImageError with a one-line message and a fix. Pure: no I/O.
 */
import { ImageError } from '../core/errors.js';

export const DOCKER_HUB = 'docker.io';
/** The host Docker Hub's registry API actually lives on. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

export interface RegistryImageRef {
  kind: 'registry';
  /** Registry host, with port when given: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  registry: string;
  /** Repository path, lowercase: `library/busybox`, `test/busybox`. */
  repository: string;
  /** The tag; `latest` when neither tag nor digest was given; undefined for a pure digest ref. */
  tag: string | undefined;
  /** `sha256:<64 hex>` when pinned. */
  digest: string | undefined;
  /** What to GET from /v2/<repository>/manifests/<reference>: the digest when pinned, else the tag. */
  reference: string;
  /** Fully qualified name without tag/digest: `docker.io/library/busybox`. */
  name: string;
  /** Normalised reference, the key in the image index: `docker.io/library/busybox:latest`. */
  canonical: string;
}

export interface OciArchiveRef {
  kind: 'oci-archive';
  path: string;
  tag: string | undefined;
  canonical: string;
}
export interface DockerArchiveRef {
  kind: 'docker-archive';
  path: string;
  canonical: string;
}
export interface TarRef {
  kind: 'tar';
  source: string;
  isUrl: boolean;
  canonical: string;
}
export interface DirRef {
  kind: 'dir';
  path: string;
  canonical: string;
}
export interface DebianRef {
  kind: 'debian';
  suite: string;
  variant: string | undefined;
  canonical: string;
}
export interface BuiltinRef {
  kind: 'builtin';
  name: 'busybox';
  canonical: string;
}

export type ImageRef = RegistryImageRef | OciArchiveRef | DockerArchiveRef | TarRef | DirRef | DebianRef | BuiltinRef;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOST_LABEL = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]$/;
const SUITE = /^[a-z][a-z0-9.-]{0,63}$/;
const VARIANT = /^[a-z0-9][a-z0-9.-]{0,63}$/;
const BUILTIN = new Set(['busybox', 'busybox:latest', 'builtin:busybox']);

function bad(ref: string, why: string, fix: string): ImageError {
  return new ImageError('bad-ref', `invalid image reference "${ref}": ${why}`, { fix });
}

export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

/** Validate `host[:port]`; returns it normalised (lowercase host). */
function parseHost(ref: string, host: string): string {
  let name = host;
  let port: string | undefined;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    name = host.slice(0, end + 1);
    const rest = host.slice(end + 1);
    if (end < 0 || !IPV6.test(name) || (rest !== '' && !rest.startsWith(':'))) {
      throw bad(ref, `bad registry host "${host}"`, 'write an IPv6 registry as [addr]:port');
    }
    if (rest) port = rest.slice(1);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
    if (name === '' || name.length > 253 || !name.split('.').every((l) => HOST_LABEL.test(l))) {
      throw bad(
        ref,
        `bad registry host "${host}"`,
        'a registry is a host name or address, optionally with :port, e.g. localhost:5000/app',
      );
    }
  }
  if (port !== undefined) {
    const n = Number(port);
    if (!/^[0-9]{1,5}$/.test(port) || n < 1 || n > 65535) {
      throw bad(ref, `bad registry port "${port}"`, 'a port is a number from 1 to 65535, e.g. localhost:5000/app');
    }
  }
  const lower = name.toLowerCase();
  const normal = port !== undefined ? `${lower}:${port}` : lower;
  return normal === 'index.docker.io' || normal === 'registry-1.docker.io' ? DOCKER_HUB : normal;
}

/** Parse a registry reference `[HOST[:PORT]/]PATH[:TAG][@sha256:HEX]`. */
export function parseRegistryRef(ref: string, original = ref): RegistryImageRef {
  if (ref === '') throw bad(original, 'empty name', 'name an image, e.g. docker.io/library/alpine:3.20');
  if (/\s/.test(ref)) throw bad(original, 'contains white space', 'remove the spaces');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      throw bad(original, `bad digest "${digest}"`, 'a digest is sha256: followed by 64 lowercase hex digits');
    }
  }
  // The tag is after the last ':' that comes after the last '/' (a ':' before it is a port).
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw bad(
        original,
        `bad tag "${tag}"`,
        'a tag is up to 128 letters, digits, _, . and -, not starting with . or -',
      );
    }
  }
  if (rest === '') throw bad(original, 'empty name', 'name an image before the tag or digest');
  let registry = DOCKER_HUB;
  let path = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0) {
    const first = rest.slice(0, firstSlash);
    if (
      first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first.startsWith('[') ||
      first !== first.toLowerCase()
    ) {
      registry = parseHost(original, first);
      path = rest.slice(firstSlash + 1);
    }
  }
  if (path === '')
    throw bad(original, 'no repository after the registry', 'write REGISTRY/REPOSITORY, e.g. localhost:5000/app');
  if (path !== path.toLowerCase()) {
    throw bad(original, 'repository names must be lowercase', `write ${path.toLowerCase()}`);
  }
  const components = path.split('/');
  for (const c of components) {
    if (!PATH_COMPONENT.test(c)) {
      throw bad(
        original,
        `bad repository path component "${c}"`,
        'use lowercase letters, digits and single separators (. _ __ -) between them',
      );
    }
  }
  if (registry === DOCKER_HUB && components.length === 1) path = `library/${path}`;
  const name = `${registry}/${path}`;
  if (name.length > 255) throw bad(original, 'name longer than 255 characters', 'use a shorter repository name');
  if (tag === undefined && digest === undefined) tag = 'latest';
  const canonical = name + (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
  return {
    kind: 'registry',
    registry,
    repository: path,
    tag,
    digest,
    reference: digest ?? tag ?? 'latest',
    name,
    canonical,
  };
}

/** A registry as `berth login` takes it (`HOST[:PORT]`, `docker.io`), normalised like references. */
export function registryHost(input: string): string {
  const host = input.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (host === '' || host.includes('/')) {
    throw new ImageError('bad-registry', `"${input}" is not a registry host`, {
      fix: 'name a registry as HOST[:PORT], e.g. localhost:5000',
    });
  }
  return parseHost(input, host);
}

function needPath(ref: string, scheme: string, value: string): string {
  if (value === '') throw bad(ref, `nothing after "${scheme}:"`, `write ${scheme}:PATH`);
  if (value.includes('\0')) throw bad(ref, 'NUL in path', 'remove it');
  return value;
}

/** Parse anything a user may write as IMAGE. Throws ImageError('bad-ref') on malformed input. */
export function parseImageRef(input: string): ImageRef {
  const ref = input;
  if (ref.trim() === '') {
    throw new ImageError('bad-ref', 'empty image reference', {
      fix: 'name an image, or leave it out for the builtin busybox',
    });
  }
  if (ref !== ref.trim()) throw bad(ref, 'leading or trailing white space', 'remove the spaces');
  if (BUILTIN.has(ref)) return { kind: 'builtin', name: 'busybox', canonical: 'builtin:busybox' };
  if (ref.startsWith('docker://')) return parseRegistryRef(ref.slice('docker://'.length), ref);
  const m = /^([a-z][a-z-]*):(.*)$/s.exec(ref);
  if (m) {
    const scheme = m[1]!;
    const value = m[2]!;
    switch (scheme) {
      case 'oci-archive': {
        // oci-archive:PATH[:TAG] as in skopeo; a tag is the part after the last ':' if it looks like one.
        const c = value.lastIndexOf(':');
        const maybeTag = c >= 0 ? value.slice(c + 1) : '';
        if (c >= 0 && TAG.test(maybeTag) && !maybeTag.includes('/')) {
          const path = needPath(ref, scheme, value.slice(0, c));
          return { kind: 'oci-archive', path, tag: maybeTag, canonical: `oci-archive:${path}:${maybeTag}` };
        }
        const path = needPath(ref, scheme, value);
        return { kind: 'oci-archive', path, tag: undefined, canonical: `oci-archive:${path}` };
      }
      case 'docker-archive': {
        const path = needPath(ref, scheme, value);
        return { kind: 'docker-archive', path, canonical: `docker-archive:${path}` };
      }
      case 'dir': {
        const path = needPath(ref, scheme, value);
        return { kind: 'dir', path, canonical: `dir:${path}` };
      }
      case 'tar': {
        const source = needPath(ref, scheme, value);
        const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
        if (isUrl && !/^https?:\/\/[^/\s]+/i.test(source)) {
          throw bad(
            ref,
            'only http:// and https:// URLs can be downloaded',
            'write tar:https://HOST/PATH.tar.gz or tar:/local/path.tar',
          );
        }
        return { kind: 'tar', source, isUrl, canonical: `tar:${source}` };
      }
      case 'debian': {
        if (value === '') throw bad(ref, 'no suite', 'write debian:SUITE[/VARIANT], e.g. debian:bookworm');
        const [suite, variant, extra] = value.split('/');
        if (extra !== undefined)
          throw bad(ref, 'too many "/"', 'write debian:SUITE[/VARIANT], e.g. debian:bookworm/minbase');
        if (!SUITE.test(suite!))
          throw bad(ref, `bad suite "${suite}"`, 'a suite is a lowercase name like bookworm or stable');
        if (variant !== undefined && !VARIANT.test(variant)) {
          throw bad(ref, `bad variant "${variant}"`, 'a variant is a lowercase name like minbase');
        }
        return {
          kind: 'debian',
          suite: suite!,
          variant,
          canonical: `debian:${suite}${variant !== undefined ? `/${variant}` : ''}`,
        };
      }
      case 'builtin':
        throw bad(ref, `unknown builtin image "${value}"`, 'the only builtin image is builtin:busybox');
      default:
        break; // `name:tag` — a registry reference
    }
  }
  return parseRegistryRef(ref);
}
