/**
 * A backend whose code loads only when it is used: the hot `run` path of the shim backends
 * must not carry the VM drivers (ADR 0002). Capabilities and validation are small data kept
 * here; probing and every operation import the driver module on first use.
 */
import type {
  Capabilities,
  Driver,
  EnvStats,
  ExecOptions,
  ExitResult,
  Handle,
  PreparedEnv,
  Probe,
  Problem,
  Status,
  StopOptions,
} from './driver.js';
import type { TemplateMachine } from '../templates/template-record.js';
import type { EnvProcess } from '../host/ns-processes.js';
import { DriverError } from '../core/errors.js';
import type { BackendName, EnvSpec } from '../core/spec.js';

export class LazyDriver implements Driver {
  private loaded: Promise<Driver> | undefined;

  constructor(
    readonly name: BackendName,
    private readonly caps: Capabilities,
    private readonly check: (spec: EnvSpec, rootless: boolean) => Problem[],
    private readonly load: () => Promise<Driver>,
    /** The probe alone, lighter than the whole driver (it runs on every --backend auto). */
    private readonly probeOnly?: () => Promise<Probe>,
    /** `enforcement()` as data (inspect is synchronous). */
    private readonly enforce?: (h: Handle) => unknown,
  ) {}

  enforcement(h: Handle): unknown {
    return this.enforce ? this.enforce(h) : undefined;
  }

  private d(): Promise<Driver> {
    return (this.loaded ??= this.load());
  }

  async probe(): Promise<Probe> {
    return this.probeOnly ? this.probeOnly() : (await this.d()).probe();
  }
  capabilities(): Capabilities {
    return this.caps;
  }
  validate(spec: EnvSpec, rootless: boolean): Problem[] {
    return this.check(spec, rootless);
  }
  async create(env: PreparedEnv): Promise<Handle> {
    return (await this.d()).create(env);
  }
  async start(h: Handle): Promise<void> {
    return (await this.d()).start(h);
  }
  async exec(h: Handle, argv: string[], opts: ExecOptions): Promise<ExitResult> {
    return (await this.d()).exec(h, argv, opts);
  }
  async signal(h: Handle, sig: string): Promise<void> {
    return (await this.d()).signal(h, sig);
  }
  async stop(h: Handle, opts: StopOptions): Promise<ExitResult | undefined> {
    return (await this.d()).stop(h, opts);
  }
  async remove(h: Handle, opts: { force: boolean }): Promise<void> {
    return (await this.d()).remove(h, opts);
  }
  async wait(h: Handle): Promise<ExitResult> {
    return (await this.d()).wait(h);
  }
  async inspect(h: Handle): Promise<Status> {
    return (await this.d()).inspect(h);
  }
  async recover(dir: string): Promise<Handle> {
    return (await this.d()).recover(dir);
  }
  async pause(h: Handle): Promise<void> {
    const d = await this.d();
    return d.pause!(h);
  }
  async resume(h: Handle): Promise<void> {
    const d = await this.d();
    return d.resume!(h);
  }
  async checkpoint(h: Handle, name: string): Promise<void> {
    const d = await this.d();
    return d.checkpoint!(h, name);
  }
  async restore(h: Handle, name: string): Promise<void> {
    const d = await this.d();
    return d.restore!(h, name);
  }
  async saveTemplate(h: Handle, into: string): Promise<TemplateMachine | undefined> {
    const d = await this.d();
    return d.saveTemplate ? d.saveTemplate(h, into) : undefined;
  }
  async stats(h: Handle): Promise<EnvStats> {
    const d = await this.d();
    if (!d.stats)
      throw new DriverError('no-stats', `the ${this.name} backend cannot account for resources`, {
        fix: 'use --backend container',
      });
    return d.stats(h);
  }
  async processes(h: Handle): Promise<EnvProcess[]> {
    const d = await this.d();
    if (!d.processes) throw new DriverError('no-top', `the ${this.name} backend cannot list processes`);
    return d.processes(h);
  }
  async machine(h: Handle): Promise<Record<string, unknown>> {
    const d = await this.d();
    return d.machine ? d.machine(h) : {};
  }
}
