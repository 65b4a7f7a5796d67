// prepack (`npm pack`, `npm publish`): the native helpers the npm package ships, ready to run
// (ADR 0027). npm runs no install scripts of a dependency, so an installed berth cannot build them:
// `make -C native` has just built them (static glibc, -static in native/Makefile); here they are
// copied to native/prebuilt/<platform>-<arch>/, stripped, and refused unless really static.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const HELPERS = ['berth-shim', 'berth-vmmon', 'berth-guest-init'];
const PT_INTERP = 3;

/** A static ELF has no program interpreter (PT_INTERP): the kernel runs it without ld.so. */
function elfInterpreted(path) {
  const b = readFileSync(path);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) throw new Error(`${path}: not a 64-bit ELF file`);
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === PT_INTERP) return true;
  return false;
}

function fail(msg) {
  console.error(`prebuilt: ${msg}`);
  process.exit(1);
}

const out = join('native', 'prebuilt', `${process.platform}-${process.arch}`);
rmSync(join('native', 'prebuilt'), { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const h of HELPERS) {
  const dest = join(out, h);
  copyFileSync(join('native', 'bin', h), dest);
  const strip = spawnSync('strip', ['--strip-all', dest], { encoding: 'utf8' });
  if (strip.status !== 0) fail(`strip ${dest}: ${strip.stderr || strip.error}`);
  chmodSync(dest, 0o755);
  if (elfInterpreted(dest))
    fail(`${dest} is dynamically linked (it needs ld.so); build with LDFLAGS=-static and Debian's libc6-dev`);
  const ldd = spawnSync('ldd', [dest], { encoding: 'utf8' });
  if (ldd.status === 0 && !/statically linked/.test(ldd.stdout))
    fail(`${dest} is dynamically linked: ${ldd.stdout.trim()}`);
}
console.error(`prebuilt: ${HELPERS.join(', ')} -> ${out} (static)`);
