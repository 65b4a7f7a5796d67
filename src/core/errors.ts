/**
 * Typed errors, one class per area (Firecracker style). Every error berth raises itself
 * carries a stable `code`, a one-line `message` that names the problem, an optional `fix`
 * telling the user what to do, and the original `cause`. The CLI prints
 * `berth: <message> (<fix>)` on one line and exits 125.
 */
export type ErrorArea = 'spec' | 'image' | 'driver' | 'state' | 'host' | 'kernel' | 'disk' | 'internal';

/**
 * Brand shared by every copy of this module (the CLI bundle and the lazily loaded ESM chunks each
 * have one), so `isBerthError` recognises an error thrown by another copy.
 */
const BRAND = Symbol.for('berth.error');

export class BerthError extends Error {
  readonly area: ErrorArea = 'internal';
  readonly code: string;
  readonly fix: string | undefined;
  /** Exit status the CLI uses for this error: 125 is berth's own failure. */
  readonly exitCode: number = 125;

  constructor(code: string, message: string, options: { fix?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fix = options.fix;
    Object.defineProperty(this, BRAND, { value: true });
    if (options.exitCode !== undefined) this.exitCode = options.exitCode;
  }

  /** The single line shown to a user. */
  oneLine(): string {
    const text = this.fix ? `${this.message} (${this.fix})` : this.message;
    return text.replace(/\s*\n\s*/g, ' ');
  }
}

/** The environment spec or a CLI argument is invalid. */
export class SpecError extends BerthError {
  override readonly area = 'spec' as const;
}
/** An image cannot be resolved, fetched, verified or unpacked. */
export class ImageError extends BerthError {
  override readonly area = 'image' as const;
}
/** A backend refused or failed. */
export class DriverError extends BerthError {
  override readonly area = 'driver' as const;
}
/** The state store is inconsistent, locked, or an environment is unknown. */
export class StateError extends BerthError {
  override readonly area = 'state' as const;
}
/** A kernel cannot be resolved, fetched, verified or prepared (manifest, cache, initramfs). */
export class KernelError extends BerthError {
  override readonly area = 'kernel' as const;
}
/** A host tool or kernel feature is missing or failed. */
export class HostError extends BerthError {
  override readonly area = 'host' as const;
}
/** A VM disk (ext4 base, qcow2 overlay, UML COW file) cannot be built or is unusable. */
export class DiskError extends BerthError {
  override readonly area = 'disk' as const;
}

export function isBerthError(e: unknown): e is BerthError {
  return (
    e instanceof BerthError || (typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true)
  );
}
