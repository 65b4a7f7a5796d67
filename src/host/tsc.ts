/**
 * The host's TSC rate. A guest under QEMU TCG reads the host's TSC, but on a hardware-reduced
 * ACPI machine (microvm) it has no PIT/HPET/PM timer to measure it against and hangs calibrating;
 * `tsc_early_khz=` on its command line tells it the rate.
 */
import { readFileSync } from 'node:fs';

/** kHz from /proc/cpuinfo's first "cpu MHz" line, or undefined. Pure. */
export function tscKhzFromCpuinfo(text: string): number | undefined {
  const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(text);
  if (!m) return undefined;
  const khz = Math.round(Number(m[1]) * 1000);
  return Number.isFinite(khz) && khz > 0 ? khz : undefined;
}

export function hostTscKhz(path = '/proc/cpuinfo'): number | undefined {
  try {
    return tscKhzFromCpuinfo(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
