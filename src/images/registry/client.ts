/**
 * A registry HTTP API v2 client (the OCI distribution spec, pull side). Manifests and blobs come
 * through the downloader's own socket reader (src/images/download/raw-get.ts, ADR 0067); got is
 * imported only for token requests and `berth login`'s access check.
 *
 * - https, except for registries named in `insecure` (plain http: loopback test registries).
 * - Anonymous first; on 401 it answers the WWW-Authenticate challenge: Bearer (token from the
 *   realm with service and scope, sending basic credentials when an auth file has them) or
 *   Basic (credentials from the auth file). Tokens are cached per scope.
 * - Manifests are hashed and checked against a pinned digest and Docker-Content-Digest.
 * - Blobs come through berth's one downloader (src/images/download, ADR 0033) into the
 *   store's `.partial` file, then are committed (BlobStore.commit renames them into place).
 */
import { ImageError } from '../../core/errors.js';
import { DOCKER_HUB, DOCKER_HUB_API_HOST } from '../ref.js';
import { type BlobStore, DigestMismatchError, sha256Digest } from '../store/blob-store.js';
import {
  basicHeader,
  findCredentials,
  parseChallenges,
  authFiles as defaultAuthFiles,
  type BasicCredentials,
} from './auth.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import type { TransferHook } from '../../core/transfer.js';
import { download, DownloadError } from '../download/download.js';
import { rawGet, readBody } from '../download/raw-get.js';
import type { Headers } from '../download/http1-response.js';

export interface RegistryClientOptions {
  /** Registries (host[:port], as in the reference) spoken to over plain http. */
  insecure?: string[];
  /** Auth files to read basic credentials from (default: $REGISTRY_AUTH_FILE, ~/.docker/config.json). */
  authFiles?: string[];
  /** Explicit credentials (win over auth files). */
  credentials?: BasicCredentials;
  timeoutMs?: number;
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
  json: Record<string, unknown>;
}

export interface BlobDescriptor {
  digest: string;
  size: number;
  mediaType?: string;
}

export interface BlobResult {
  digest: string;
  path: string;
  /** False when the blob was already in the store. */
  downloaded: boolean;
  /** Bytes transferred over the network for this blob. */
  bytes: number;
  /** Whether a partial temp file was resumed. */
  resumed: boolean;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export class RegistryClient {
  readonly baseUrl: string;
  private readonly tokens = new Map<string, string>();
  private readonly insecure: Set<string>;
  private readonly creds: BasicCredentials | undefined;
  private readonly timeoutMs: number;

  constructor(
    readonly registry: string,
    opts: RegistryClientOptions = {},
  ) {
    this.insecure = new Set(opts.insecure ?? []);
    const host = registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
    this.baseUrl = `${this.insecure.has(registry) ? 'http' : 'https'}://${host}`;
    this.creds = opts.credentials ?? findCredentials(registry, opts.authFiles ?? defaultAuthFiles());
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private gotOpts() {
    const t = this.timeoutMs;
    return {
      timeout: { connect: Math.min(t, 15_000), socket: t },
      retry: { limit: 0 },
      followRedirect: true,
      throwHttpErrors: false,
    } as const;
  }

  private unreachable(url: string, e: unknown): ImageError {
    const err = e as { code?: string; message?: string };
    return new ImageError(
      'registry-unreachable',
      `cannot reach registry ${this.registry} (${url}): ${err.code ?? err.message ?? String(e)}`,
      {
        fix:
          this.baseUrl.startsWith('https') && isLoopback(this.registry)
            ? `a local registry without TLS must be listed as insecure (${this.registry})`
            : 'check the registry name and your network connection',
        cause: e,
      },
    );
  }

  private authFailed(status: number, detail: string): ImageError {
    return new ImageError(
      'registry-auth',
      `registry ${this.registry} refused access (HTTP ${status}${detail ? `: ${detail}` : ''})`,
      {
        fix: this.creds
          ? `check the credentials (berth login ${this.registry}, $REGISTRY_AUTH_FILE or ~/.docker/config.json) and that the repository exists`
          : `the repository may not exist or be private: berth login ${this.registry} (or credentials in $REGISTRY_AUTH_FILE or ~/.docker/config.json)`,
      },
    );
  }

  /** Authorization header to send for `scope`, if one is known. */
  private authHeader(scope: string): Record<string, string> {
    const t = this.tokens.get(scope);
    return t ? { authorization: t } : {};
  }

  /** Answer a 401 challenge; afterwards authHeader(scope) has something to send. Throws if impossible. */
  private async authenticate(wwwAuthenticate: string | undefined, scope: string): Promise<void> {
    const challenges = parseChallenges(wwwAuthenticate ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const realm = bearer.params.realm;
      if (!realm) throw this.authFailed(401, 'bearer challenge without a realm');
      let url: URL;
      try {
        url = new URL(realm);
      } catch {
        throw this.authFailed(401, `bad token realm "${realm}"`);
      }
      if (
        url.protocol !== 'https:' &&
        !(url.protocol === 'http:' && (this.insecure.has(url.host) || this.insecure.has(this.registry)))
      ) {
        throw this.authFailed(401, `token realm ${realm} is not https`);
      }
      if (bearer.params.service) url.searchParams.set('service', bearer.params.service);
      url.searchParams.set('scope', bearer.params.scope ?? scope);
      const headers: Record<string, string> = this.creds ? { authorization: basicHeader(this.creds) } : {};
      const { got } = await import('got'); // only a registry that asks for a token pays for got
      let res;
      try {
        res = await got(url, { ...this.gotOpts(), headers, responseType: 'buffer' });
      } catch (e) {
        throw this.unreachable(url.toString(), e);
      }
      if (res.statusCode !== 200)
        throw this.authFailed(res.statusCode, `token server ${url.origin} answered ${res.statusCode}`);
      let tok: { token?: string; access_token?: string };
      try {
        tok = JSON.parse(res.body.toString('utf8')) as typeof tok;
      } catch {
        throw this.authFailed(401, 'token server sent no JSON');
      }
      const token = tok.token ?? tok.access_token;
      if (!token) throw this.authFailed(401, 'token server sent no token');
      this.tokens.set(scope, `Bearer ${token}`);
      return;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!this.creds) throw this.authFailed(401, 'it wants a user name and password');
      this.tokens.set(scope, basicHeader(this.creds));
      return;
    }
    throw this.authFailed(401, wwwAuthenticate ? `unsupported challenge "${wwwAuthenticate}"` : 'no challenge');
  }

  /** GET /v2/ with the client's credentials (answering a challenge): whether access is granted. */
  async checkAccess(): Promise<{ ok: boolean; status: number }> {
    const { got } = await import('got');
    const url = `${this.baseUrl}/v2/`;
    const scope = 'registry:catalog:*';
    let res;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await got(url, { ...this.gotOpts(), headers: this.authHeader(scope), responseType: 'buffer' });
      } catch (e) {
        throw this.unreachable(url, e);
      }
      if (res.statusCode === 401 && attempt === 0) {
        try {
          await this.authenticate(res.headers['www-authenticate'], scope);
        } catch (e) {
          if (e instanceof ImageError && e.code === 'registry-auth') return { ok: false, status: 401 };
          throw e;
        }
        continue;
      }
      break;
    }
    return { ok: res.statusCode === 200, status: res.statusCode };
  }

  /**
   * A small GET on the downloader's reader (raw-get.ts; a pull never loads got): the body whole, refused past
   * MAX_MANIFEST_BYTES. One retry after a failure to connect or a broken answer.
   */
  private async getSmall(
    url: string,
    headers: Record<string, string>,
    what: string,
  ): Promise<{ statusCode: number; headers: Headers; body: Buffer }> {
    const tooLarge = () =>
      new ImageError('manifest-too-large', `the manifest of ${what} is larger than ${MAX_MANIFEST_BYTES} bytes`, {
        fix: 'this is not a real image manifest',
      });
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await rawGet(url, { headers, timeoutMs: this.timeoutMs });
        const body = await readBody(res, MAX_MANIFEST_BYTES, tooLarge);
        return { statusCode: res.status, headers: res.headers, body };
      } catch (e) {
        if (e instanceof ImageError) throw e;
        if (attempt === 0) continue;
        throw this.unreachable(url, e);
      }
    }
  }

  /** GET a manifest by tag or digest. Verifies the digest when pinned or announced. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const url = `${this.baseUrl}/v2/${repository}/manifests/${reference}`;
    const scope = `repository:${repository}:pull`;
    const what = `${this.registry}/${repository}:${reference}`.replace(/:(sha256:)/, '@$1');
    let res: { statusCode: number; headers: Headers; body: Buffer };
    for (let attempt = 0; ; attempt++) {
      res = await this.getSmall(url, { accept: MANIFEST_ACCEPT, ...this.authHeader(scope) }, what);
      if (res.statusCode === 401 && attempt === 0) {
        this.tokens.delete(scope);
        await this.authenticate(res.headers['www-authenticate'], scope);
        continue;
      }
      break;
    }
    if (res.statusCode === 401 || res.statusCode === 403) throw this.authFailed(res.statusCode, '');
    if (res.statusCode === 404) {
      throw new ImageError('manifest-unknown', `image ${what} not found in the registry`, {
        fix: 'check the repository name and the tag or digest',
      });
    }
    if (res.statusCode !== 200) {
      throw new ImageError('registry-http', `registry ${this.registry} answered HTTP ${res.statusCode} for ${what}`, {
        fix: 'try again later; if it persists, the registry is failing',
      });
    }
    const body = res.body;
    const digest = sha256Digest(body);
    if (reference.startsWith('sha256:') && digest !== reference)
      throw new DigestMismatchError(reference, digest, `manifest of ${what}`);
    const announced = res.headers['docker-content-digest'];
    if (typeof announced === 'string' && announced.startsWith('sha256:') && announced !== digest) {
      throw new DigestMismatchError(announced, digest, `manifest of ${what}`);
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ImageError('bad-manifest', `the manifest of ${what} is not JSON`, {
        fix: 'the registry served something else; report it',
        cause: e,
      });
    }
    const ct = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    const mediaType = typeof json.mediaType === 'string' ? json.mediaType : ct;
    return { digest, mediaType, body, json };
  }

  /**
   * Make `desc` present in `store`: under the per-blob lock, return at once if present, else
   * download it (resuming the blob's `.partial` file; src/images/download) and commit it.
   */
  async downloadBlob(
    repository: string,
    desc: BlobDescriptor,
    store: BlobStore,
    onTransfer?: TransferHook,
    label = `blob ${desc.digest.replace(/^sha256:/, '').slice(0, 12)}`,
  ): Promise<BlobResult> {
    store.ensureDirs();
    return store.withLock(desc.digest, async () => {
      if (store.has(desc.digest)) {
        store.touch(desc.digest);
        return { digest: desc.digest, path: store.path(desc.digest), downloaded: false, bytes: 0, resumed: false };
      }
      const tmp = store.partialPath(desc.digest);
      const what = `blob ${desc.digest} of ${this.registry}/${repository}`;
      const url = `${this.baseUrl}/v2/${repository}/blobs/${desc.digest}`;
      const scope = `repository:${repository}:pull`;
      let fetched;
      try {
        fetched = await download({
          url,
          partial: tmp,
          what,
          headers: () => this.authHeader(scope),
          size: desc.size,
          digest: desc.digest,
          timeoutMs: this.timeoutMs,
          onTransfer,
          transferId: desc.digest,
          label,
          onRefused: async (status, headers) => {
            if (status !== 401) return false;
            this.tokens.delete(scope);
            await this.authenticate(headers['www-authenticate'] as string | undefined, scope);
            return true;
          },
        });
      } catch (e) {
        throw this.blobError(e, url, what);
      }
      const path = await store.commit(desc.digest, tmp, what, fetched.digest, desc.size);
      return { digest: desc.digest, path, downloaded: true, bytes: fetched.transferred, resumed: fetched.resumed };
    });
  }

  /** The downloader's failures in the registry's words. */
  private blobError(e: unknown, url: string, what: string): unknown {
    if (!(e instanceof DownloadError)) return e;
    if (e.failure === 'unreachable') return this.unreachable(url, e.cause);
    if (e.failure === 'too-large') {
      return new ImageError('size-mismatch', `${what} is larger than its descriptor says`, {
        fix: 'the registry served something else; nothing was stored',
      });
    }
    if (e.failure === 'interrupted') {
      return new ImageError('download-interrupted', e.message, {
        fix: 'pull again: the download resumes where it stopped',
        cause: e.cause,
      });
    }
    if (e.status === 401 || e.status === 403) return this.authFailed(e.status, '');
    if (e.status === 404) {
      return new ImageError('blob-unknown', `${what} is missing from the registry`, {
        fix: 'the image is incomplete in the registry; report it to its publisher',
      });
    }
    return new ImageError('registry-http', `registry ${this.registry} answered HTTP ${e.status} for ${what}`, {
      fix: 'try again later; if it persists, the registry is failing',
    });
  }
}
