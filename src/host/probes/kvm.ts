/**
 * KVM: /dev/kvm exists and is readable+writable by this user (`probeKvm`, instant). That it is
 * *usable* is a different question: a nested, paravirtual KVM can be present and still hang a
 * stock kernel right after decompression. `bootToMarker` answers it by really booting a guest
 * (the microvm backend builds the argv: its kernel + initramfs under -accel kvm) and watching the
 * serial console for a marker, killing QEMU after a short timeout. The microvm driver caches the
 * verdict per host boot (src/drivers/microvm/kvm-probe.ts).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { type Finding, fail, guard, ok } from './finding.js';

const BOOT_NOTE = 'usability is decided by booting a guest (berth doctor, microvm backend)';

export function probeKvm(dev = '/dev/kvm'): Promise<Finding> {
  return guard('kvm', () => {
    let st;
    try {
      st = statSync(dev);
    } catch {
      return fail(`${dev} absent (no KVM: enable virtualisation or nested virtualisation)`);
    }
    if (!st.isCharacterDevice()) return fail(`${dev} exists but is not a character device`);
    try {
      accessSync(dev, constants.R_OK | constants.W_OK);
    } catch {
      return fail(
        `${dev} present but not readable+writable by this user (add the user to group kvm: usermod -aG kvm $USER)`,
      );
    }
    return ok(`${dev} present and read/writable; ${BOOT_NOTE}`, dev);
  });
}

export interface BootProbe {
  /** Full QEMU argv (argv[0] = binary) with the serial console on stdio. */
  argv: string[];
  /** Text on the console that proves the guest kernel runs (e.g. "Run /init as init process"). */
  marker: string | RegExp;
  timeoutMs: number;
  /** What is being probed, for the message ("KVM"). */
  what: string;
}

/**
 * Boot `argv` until `marker` shows on the console, then kill QEMU. Never throws: a timeout, an
 * early exit or a spawn failure is a failed Finding saying which. QEMU never outlives the call.
 */
export function bootToMarker(p: BootProbe): Promise<Finding> {
  return guard(
    p.what,
    () =>
      new Promise<Finding>((resolve) => {
        const started = Date.now();
        const child = spawn(p.argv[0]!, p.argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        let verdict: Finding | undefined;
        const finish = (f: Finding) => {
          if (verdict) return;
          verdict = f;
          clearTimeout(timer);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        };
        const timer = setTimeout(
          () =>
            finish(
              fail(
                `${p.what}: the guest kernel did not boot within ${p.timeoutMs} ms (a nested or paravirtual ${p.what} can be present but unusable)`,
              ),
            ),
          p.timeoutMs,
        );
        const seen = (s: string) => (typeof p.marker === 'string' ? s.includes(p.marker) : p.marker.test(s));
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out = (out + d).slice(-8192);
          if (seen(out)) finish(ok(`${p.what}: a guest kernel booted in ${Date.now() - started} ms`));
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4096)));
        child.on('error', (e) => finish(fail(`${p.what}: cannot start ${p.argv[0]}: ${e.message}`)));
        child.on('close', (code, signal) => {
          finish(
            fail(
              `${p.what}: ${p.argv[0]} exited (${signal ?? code}) before the guest booted: ${err.trim().split('\n')[0] ?? ''}`.trim(),
            ),
          );
          resolve(verdict!);
        });
      }),
  );
}
