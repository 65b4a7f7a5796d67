/**
 * uml backend: the image's files on a shared ext4 base disk plus a per-environment ubd COW
 * file, booted by a User-mode Linux kernel as the calling user (root's: as an unprivileged uid of
 * its own, ADR 0046, uml-host-dirs.ts), with berth's init as PID 1.
 * A detached VM monitor (src/drivers/vm/vm-monitor.ts) owns the kernel process; this
 * driver prepares the disk, starts the monitor and talks to it over its unix socket.
 */
import { join } from 'node:path';
import type { ExecOptions, Handle, PreparedEnv } from '../driver.js';
import type { EnvRecord } from '../../core/env-store.js';
import { VmDriver, type VmStartPlan } from '../vm/vm-driver.js';
import { execRequest } from '../vm/guest-requests.js';
import { DriverError } from '../../core/errors.js';
import { readUmlFiles, type UmlFiles } from './uml-files.js';

/** Create and boot only (uml-launch.ts): an exec, stop or rm never loads their disk, kernel and network code. */
const launch = () => import('./uml-launch.js');

export class UmlDriver extends VmDriver {
  readonly name = 'uml' as const;

  private files(h: { id: string; dir: string }): UmlFiles {
    return readUmlFiles(h.dir);
  }

  async create(env: PreparedEnv): Promise<Handle> {
    return (await launch()).createUml(this.store, env);
  }

  protected async startPlan(h: Handle, rec: EnvRecord): Promise<VmStartPlan> {
    return (await launch()).umlStartPlan(this.files(h), rec);
  }

  protected monitorSocket(h: Handle): string {
    return join(this.files(h).runDir, 'monitor.sock');
  }

  protected execRequest(rec: EnvRecord, argv: string[], opts: ExecOptions) {
    return execRequest(rec, argv, opts);
  }

  /** Halt the guest kernel through its management console. */
  protected async halt(h: Handle): Promise<boolean> {
    const f = this.files(h);
    // execa on first use: a pool run or a start never halts, and execa is a fifth of what they load (ADR 0066).
    const { execa } = await import('execa');
    const r = await execa('uml_mconsole', [join(f.runDir, f.umid, 'mconsole'), 'halt'], {
      reject: false,
      timeout: 5_000,
      ...mconsoleAs(f),
    }).catch(() => undefined);
    return r?.exitCode === 0;
  }

  private async mconsole(h: Handle, cmd: 'stop' | 'go'): Promise<void> {
    const f = this.files(h);
    const { execa } = await import('execa');
    const r = await execa('uml_mconsole', [join(f.runDir, f.umid, 'mconsole'), cmd], {
      reject: false,
      timeout: 10_000,
      ...mconsoleAs(f),
    }).catch((e: Error) => ({ exitCode: 1, stdout: '', stderr: e.message }));
    if (r.exitCode !== 0 || /ERR/.test(String(r.stdout))) {
      throw new DriverError('mconsole-failed', `uml_mconsole ${cmd} failed: ${String(r.stderr || r.stdout).trim()}`, {
        fix: 'install uml-utilities',
      });
    }
  }

  pause(h: Handle): Promise<void> {
    return this.mconsole(h, 'stop');
  }

  resume(h: Handle): Promise<void> {
    return this.mconsole(h, 'go');
  }
}

/**
 * uml_mconsole runs as the kernel's identity: the kernel (an unprivileged uid for root's
 * environments) answers on the client's own socket, which it may write only then.
 */
function mconsoleAs(f: UmlFiles): { uid?: number; gid?: number; cwd?: string } {
  return f.hostUser ? { uid: f.hostUser.uid, gid: f.hostUser.gid, cwd: f.runDir } : {};
}
