/** Docker's error replies: `{"message": ...}` with the status code the Engine API gives for the case. */
import { isBerthError } from '../index.js';

/** An error the API answers with a given status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const CONFLICT = new Set([
  'running',
  'name-taken',
  'image-in-use',
  'network-in-use',
  'bridge-exists',
  'not-running',
  'paused',
  'not-created',
  'network-exists',
]);
const NOT_FOUND_ENV = new Set(['no-such-env']);
const NOT_FOUND_IMAGE = new Set(['no-such-image', 'not-stored', 'not-recorded', 'no-such-dir']);

/** The status and message of anything a handler threw. */
export function statusOf(
  e: unknown,
  ref?: { container?: string; image?: string },
): { status: number; message: string } {
  if (e instanceof ApiError) return { status: e.status, message: e.message };
  if (isBerthError(e)) {
    if (NOT_FOUND_ENV.has(e.code)) return { status: 404, message: `No such container: ${ref?.container ?? ''}`.trim() };
    if (NOT_FOUND_IMAGE.has(e.code)) return { status: 404, message: `No such image: ${ref?.image ?? e.message}` };
    if (CONFLICT.has(e.code)) return { status: 409, message: e.oneLine() };
    if (e.area === 'spec' || e.code === 'ambiguous' || e.code === 'bad-ref')
      return { status: 400, message: e.oneLine() };
    return { status: 500, message: e.oneLine() };
  }
  return { status: 500, message: e instanceof Error ? e.message : String(e) };
}

export const noSuchContainer = (ref: string) => new ApiError(404, `No such container: ${ref}`);
export const noSuchExec = (ref: string) => new ApiError(404, `No such exec instance: ${ref}`);
export const badRequest = (message: string) => new ApiError(400, message);
