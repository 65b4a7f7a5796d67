/**
 * The state store: one directory per environment under <data>/envs/<id>, holding
 *   config.json  what was asked and chosen (written once, atomically, by the library)
 *   state.json   lifecycle marks written by the library (created, removing)
 *   pids.json    written by the monitor once the command runs
 *   exit.json    written by the monitor when the command has exited
 *   ctr.log      the command's stdout/stderr in CRI log format
 * Status is derived from these files plus a liveness check, so a crash anywhere leaves a
 * state that `berth ps` can reconcile.
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  lstatSync,
  renameSync,
  rmSync,
  existsSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Paths } from './paths.js';
import type { BackendName, IsolationLevel } from './spec.js';
import { resolveSpec, type ResolvedSpec } from './resolved-spec.js';
import type { ResolvedImage } from './image.js';
import type { ResolvedCommand } from './command.js';
import type { ExitResult, Status } from './env-status.js';
import { writeJsonAtomic } from './atomic-write.js';
import { removeTreeQuickly } from './remove-tree.js';
import { acquireLock, type Lock } from './lock.js';
import { checkName, generateName, newId, shortId } from './names.js';
import { StateError } from './errors.js';
import { isProcessAlive } from './process-identity.js';
import { isNoSpace } from './no-space.js';

export interface BackendChoice {
  chosen: BackendName;
  /** Why each stronger backend was passed over (empty when the user named the backend). */
  passedOver: { backend: BackendName; reason: string }[];
  /** What was asked for: auto or a backend's name (absent in records of older versions). */
  requested?: BackendName | 'auto';
  /** Where that came from: '--backend', 'BERTH_BACKEND', a config file's path, or 'default'. */
  source?: string;
  /** auto: the --isolation the choice had to meet, when one was given. */
  isolation?: IsolationLevel;
  /** auto without --isolation kernel: what `--isolation kernel` would pick here, or why nothing. */
  kernelIsolation?: string;
}

export interface EnvRecord {
  id: string;
  name: string;
  backend: BackendName;
  choice: BackendChoice;
  /** What was asked, with each option resolved once for this backend (`spec.resolved`, core/resolved-spec.ts). */
  spec: ResolvedSpec;
  image: ResolvedImage;
  rootless: boolean;
  hostname: string;
  /** What runs: ENTRYPOINT + CMD after the run's overrides, resolved once (core/command.ts). */
  command: ResolvedCommand;
  createdAt: string;
  /** Settings berth filled in, with why (network: -p without --network). */
  defaults?: { network?: string };
  /** Backend-specific data the driver wants back after a restart. */
  driverData: Record<string, unknown>;
}

export interface PidsFile {
  monitor: number;
  child: number;
  childStart: number;
  startedAt: string;
  /** The command cannot be reached without its monitor (a VM's): a dead monitor means it has ended. */
  monitorRequired?: boolean;
}

/** The monitor a VM needs is gone (killed): its VM process may linger, but the environment is over. */
const monitorLost = (p: PidsFile): boolean => p.monitorRequired === true && !isProcessAlive(p.monitor);
export interface ExitFile {
  exitCode: number;
  signal: string | null;
  finishedAt: string;
  error?: string;
  oomKilled?: boolean;
}
export interface StateFile {
  state: 'created' | 'removing' | 'paused' | 'resumed';
  at: string;
}

/** An environment directory being filled: `.new-<id>-<creator pid>` (renamed to `<id>` when complete). */
const CREATION_PREFIX = '.new-';

function creationPid(name: string): number | undefined {
  if (!name.startsWith(CREATION_PREFIX)) return undefined;
  const pid = Number(name.slice(name.lastIndexOf('-') + 1));
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** A zombie is not alive: a creator killed mid-creation and not yet reaped must not keep its directory. */
function pidAlive(pid: number): boolean {
  return isProcessAlive(pid);
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export class EnvStore {
  constructor(readonly paths: Paths) {}

  dirOf(id: string): string {
    return join(this.paths.envs, id);
  }

  envLock(id: string): Promise<Lock> {
    return acquireLock(join(this.paths.locks, `env-${id}.lock`), `environment ${shortId(id)}`);
  }

  private nameLink(name: string): string {
    return join(this.paths.data, 'names', name);
  }

  /** Claim a name atomically: a symlink names/<name> -> <id>, created only if absent. */
  private claimName(name: string, id: string): boolean {
    try {
      symlinkSync(id, this.nameLink(name));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        // A claim whose environment never got a record (its creator crashed) is free again
        // once it is clearly not a creation in progress.
        if (this.readRecord(this.idOfName(name) ?? '')) return false;
        if (Date.now() - lstatSync(this.nameLink(name)).mtimeMs < 30_000) return false;
        rmSync(this.nameLink(name), { force: true });
        return this.claimName(name, id);
      }
      throw e;
    }
  }

  private idOfName(name: string): string | undefined {
    try {
      return readlinkSync(this.nameLink(name));
    } catch {
      return undefined;
    }
  }

  /**
   * Reserve an id and a unique name and record the environment. The name is claimed with an
   * atomic symlink, so two concurrent creations can never take the same name, and a crash
   * leaves either nothing, a dangling claim (reclaimed), or a complete record.
   */
  async allocate(
    wantedName: string | undefined,
    makeRecord: (id: string, name: string) => EnvRecord,
  ): Promise<EnvRecord> {
    const name = wantedName === undefined ? undefined : checkName(wantedName);
    mkdirSync(join(this.paths.data, 'names'), { recursive: true, mode: 0o700 });
    mkdirSync(this.paths.envs, { recursive: true, mode: 0o700 });
    const id = newId();
    let chosen = name ?? generateName();
    while (!this.claimName(chosen, id)) {
      if (name) {
        throw new StateError('name-taken', `the name "${name}" is already in use`, {
          fix: `remove it with "berth rm -f ${name}" or choose another --name`,
        });
      }
      chosen = generateName();
    }
    // The directory appears complete or not at all: it is filled under a creation name that
    // names our pid, then renamed. A creator killed before the rename leaves only that, which
    // sweepCreations() removes once the pid is gone.
    const creation = join(this.paths.envs, `${CREATION_PREFIX}${id}-${process.pid}`);
    try {
      const rec = makeRecord(id, chosen);
      mkdirSync(creation, { mode: 0o700 });
      writeJsonAtomic(join(creation, 'config.json'), rec);
      writeJsonAtomic(join(creation, 'state.json'), { state: 'created', at: new Date().toISOString() }, 0o600, false);
      renameSync(creation, this.dirOf(id));
      return rec;
    } catch (e) {
      rmSync(this.nameLink(chosen), { force: true });
      rmSync(creation, { recursive: true, force: true });
      throw e;
    }
  }

  /** Remove creation dirs whose creator (the pid in their name) is gone. */
  sweepCreations(names?: string[]): void {
    let entries = names;
    if (!entries) {
      try {
        entries = readdirSync(this.paths.envs);
      } catch {
        return;
      }
    }
    for (const n of entries) {
      const pid = creationPid(n);
      if (pid === undefined || pidAlive(pid)) continue;
      rmSync(join(this.paths.envs, n), { recursive: true, force: true });
    }
  }

  writeRecord(rec: EnvRecord): void {
    writeJsonAtomic(join(this.dirOf(rec.id), 'config.json'), rec);
    this.markState(rec.id, 'created');
  }

  /** Replace the record of an environment that runs (its state mark is left as it is: a pool claim, ADR 0057). */
  replaceRecord(rec: EnvRecord): void {
    writeJsonAtomic(join(this.dirOf(rec.id), 'config.json'), rec);
  }

  /** Record RESULT as the environment's exit (a pool claim's command, run in a member that is stopped now). */
  recordExit(id: string, result: { exitCode: number; signal?: string; oomKilled?: boolean }): void {
    const exit: ExitFile = {
      exitCode: result.exitCode,
      signal: result.signal ?? null,
      finishedAt: new Date().toISOString(),
      ...(result.oomKilled ? { oomKilled: true } : {}),
    };
    writeJsonAtomic(join(this.dirOf(id), 'exit.json'), exit, 0o600, false);
  }

  /**
   * Give an environment another name (Docker's rename): the new name is claimed atomically,
   * then the record says it, then the old claim goes. The state marks are left as they are.
   */
  rename(id: string, wantedName: string): EnvRecord {
    const name = checkName(wantedName);
    const rec = this.readRecord(id);
    if (!rec)
      throw new StateError('no-such-env', `no such environment: ${id}`, { fix: 'list them with "berth ps -a"' });
    if (rec.name === name) return rec;
    if (!this.claimName(name, id)) {
      throw new StateError('name-taken', `the name "${name}" is already in use`, {
        fix: `remove it with "berth rm -f ${name}" or choose another name`,
      });
    }
    const renamed = { ...rec, name, spec: { ...rec.spec, name } };
    try {
      writeJsonAtomic(join(this.dirOf(id), 'config.json'), renamed);
    } catch (e) {
      rmSync(this.nameLink(name), { force: true });
      throw e;
    }
    if (this.idOfName(rec.name) === id) rmSync(this.nameLink(rec.name), { force: true });
    return renamed;
  }

  /** Remove directories without a record (a creator killed between mkdir and the record write). */
  sweepOrphans(minAgeMs = 30_000): void {
    for (const id of this.orphans()) {
      try {
        if (Date.now() - statSync(this.dirOf(id)).mtimeMs > minAgeMs) this.removeDir(id);
      } catch {
        /* raced with its creator or another sweeper */
      }
    }
  }

  markState(id: string, state: StateFile['state']): void {
    const path = join(this.dirOf(id), 'state.json');
    const mark = { state, at: new Date().toISOString() };
    try {
      writeJsonAtomic(path, mark, 0o600, false);
    } catch (e) {
      if (!isNoSpace(e)) throw e;
      // A full disk must not block `rm` (which frees space): the old mark makes room for the new.
      rmSync(path, { force: true });
      writeJsonAtomic(path, mark, 0o600, false);
    }
  }

  readRecord(id: string): EnvRecord | undefined {
    const rec = readJson<EnvRecord>(join(this.dirOf(id), 'config.json'));
    // Recorded before the command was: what those versions ran (arguments, else the image's).
    if (rec && !rec.command) {
      const argv =
        rec.spec.command.length > 0 ? rec.spec.command : [...rec.image.config.entrypoint, ...rec.image.config.cmd];
      rec.command =
        rec.spec.command.length > 0
          ? { entrypoint: [], cmd: argv, argv }
          : { entrypoint: rec.image.config.entrypoint, cmd: rec.image.config.cmd, argv };
    }
    // Recorded before the options were resolved (docs/adr/0029): resolved now, as at creation.
    if (rec && !rec.spec.resolved) rec.spec = resolveSpec(rec.spec, rec.backend, rec.rootless).spec;
    return rec;
  }

  readPids(id: string): PidsFile | undefined {
    return readJson<PidsFile>(join(this.dirOf(id), 'pids.json'));
  }

  readExit(id: string): ExitFile | undefined {
    return readJson<ExitFile>(join(this.dirOf(id), 'exit.json'));
  }

  readState(id: string): StateFile | undefined {
    return readJson<StateFile>(join(this.dirOf(id), 'state.json'));
  }

  /** Every environment with a readable record. Directories without one are half-created leftovers. */
  list(): EnvRecord[] {
    let ids: string[];
    try {
      ids = readdirSync(this.paths.envs);
    } catch {
      return [];
    }
    this.sweepCreations(ids);
    const out: EnvRecord[] = [];
    for (const id of ids) {
      if (id.startsWith(CREATION_PREFIX)) continue;
      const rec = this.readRecord(id);
      if (rec) out.push(rec);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Directories with no record: allocations whose creator died before writing config.json. */
  orphans(): string[] {
    try {
      return readdirSync(this.paths.envs).filter(
        (id) => !id.startsWith(CREATION_PREFIX) && !existsSync(join(this.dirOf(id), 'config.json')),
      );
    } catch {
      return [];
    }
  }

  /** Find by full id, unique id prefix, or name. */
  find(ref: string): EnvRecord {
    const named = this.idOfName(ref);
    const byName = named ? this.readRecord(named) : undefined;
    if (byName && byName.name === ref) return byName;
    // A whole id (what the library passes around) needs no scan of every record.
    const exact = /^[0-9a-f]{64}$/.test(ref) ? this.readRecord(ref) : undefined;
    if (exact && exact.id === ref) return exact;
    const all = this.list();
    const byId = all.filter((r) => r.id.startsWith(ref));
    if (byId.length === 1 && ref.length >= 1) return byId[0]!;
    if (byId.length > 1) {
      throw new StateError('ambiguous', `"${ref}" matches ${byId.length} environments`, {
        fix: 'give more characters of the id, or the name',
      });
    }
    throw new StateError('no-such-env', `no such environment: ${ref}`, { fix: 'list them with "berth ps -a"' });
  }

  /**
   * The monitor's pids while the command really runs (paused counts); otherwise a StateError
   * naming the environment, with `fix` as the hint.
   */
  runningPids(id: string, name: string, fix = 'start a new one with "berth run"'): PidsFile {
    const pids = this.readPids(id);
    if (!pids || this.readExit(id) || !isProcessAlive(pids.child, pids.childStart) || monitorLost(pids)) {
      throw new StateError('not-running', `environment ${name} is not running`, { fix });
    }
    return pids;
  }

  /** Status from the files the library and the monitor wrote, checked against reality. */
  status(id: string): Status {
    const pids = this.readPids(id);
    const exit = this.readExit(id);
    if (exit) {
      const result: ExitResult = { exitCode: exit.exitCode };
      if (exit.signal) result.signal = exit.signal;
      if (exit.oomKilled) result.oomKilled = true;
      return {
        state: 'exited',
        exit: result,
        finishedAt: exit.finishedAt,
        ...(pids ? { startedAt: pids.startedAt } : {}),
      };
    }
    if (pids && monitorLost(pids)) {
      return {
        state: 'exited',
        startedAt: pids.startedAt,
        exit: { exitCode: 137 },
        reconciled: 'the VM monitor died without recording an exit status (killed?); rm removes what is left',
      };
    }
    if (pids) {
      if (isProcessAlive(pids.child, pids.childStart)) {
        const paused = this.readState(id)?.state === 'paused';
        return {
          state: paused ? 'paused' : 'running',
          pid: pids.child,
          monitorPid: pids.monitor,
          startedAt: pids.startedAt,
        };
      }
      if (isProcessAlive(pids.monitor)) {
        // The command is gone and the monitor is writing exit.json right now.
        return { state: 'running', pid: pids.child, monitorPid: pids.monitor, startedAt: pids.startedAt };
      }
      return {
        state: 'exited',
        startedAt: pids.startedAt,
        exit: { exitCode: 137 },
        reconciled: 'the monitor died without recording an exit status (killed?); exit status unknown',
      };
    }
    return { state: 'created' };
  }

  removeDir(id: string): void {
    const rec = this.readRecord(id);
    if (rec && this.idOfName(rec.name) === id) rmSync(this.nameLink(rec.name), { force: true });
    const dir = this.dirOf(id);
    try {
      removeTreeQuickly(dir);
    } catch {
      // Retried: a monitor that is still going away may write its last file while we remove.
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    }
  }
}
