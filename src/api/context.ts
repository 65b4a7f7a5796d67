/** What every library call needs: the store paths, the state store and the backend registry. */
import { resolvePaths, isRoot, type Paths } from '../core/paths.js';
import { EnvStore } from '../core/env-store.js';
import { Registry } from '../drivers/registry.js';

export interface Context {
  paths: Paths;
  store: EnvStore;
  registry: Registry;
  rootless: boolean;
}

export interface ContextOptions {
  /** Overrides BERTH_ROOT / the default locations. */
  root?: string;
}

export function makeContext(opts: ContextOptions = {}): Context {
  const env = opts.root ? { ...process.env, BERTH_ROOT: opts.root } : process.env;
  return contextOf(resolvePaths(env));
}

/** A context for a store whose paths are known (a helper process started with them). */
export function contextOf(paths: Paths): Context {
  const store = new EnvStore(paths);
  return { paths, store, registry: new Registry(store), rootless: !isRoot() };
}
