/**
 * The result of one host probe. Probes never throw: everything that goes wrong becomes
 * `ok: false` with a one-line `detail` saying why (see docs/adr/0004-host-probes.md).
 */
export interface Finding {
  ok: boolean;
  /** One line for a human (`berth doctor`): what was found, or why it does not work. */
  detail: string;
  /** A short machine-usable value when there is one (a version, a layout name, a path). */
  value?: string;
}

export function ok(detail: string, value?: string): Finding {
  return value === undefined ? { ok: true, detail } : { ok: true, detail, value };
}

export function fail(detail: string, value?: string): Finding {
  return value === undefined ? { ok: false, detail } : { ok: false, detail, value };
}

/** The message of anything thrown, on one line. */
export function reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Run a probe body and turn any exception into a failed Finding, so a probe can be
 * written straightforwardly and still honour "never throws".
 */
export async function guard(what: string, body: () => Finding | Promise<Finding>): Promise<Finding> {
  try {
    return await body();
  } catch (e) {
    return fail(`${what}: probe failed: ${reason(e)}`);
  }
}
