/** `--accel auto|kvm|tcg`: the microvm's QEMU accelerator as asked for (which one it gets: drivers/microvm/microvm-accel.ts). */
import { SpecError } from './errors.js';

export type AccelRequest = 'auto' | 'kvm' | 'tcg';
export const ACCEL_VALUES: readonly AccelRequest[] = ['auto', 'kvm', 'tcg'];

export function parseAccel(v: string | undefined): AccelRequest {
  if (v === undefined) return 'auto';
  if ((ACCEL_VALUES as readonly string[]).includes(v)) return v as AccelRequest;
  throw new SpecError('bad-accel', `unknown --accel "${v}"`, { fix: `use one of: ${ACCEL_VALUES.join(', ')}` });
}
