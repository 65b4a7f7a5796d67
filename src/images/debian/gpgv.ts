/**
 * Verifying a clearsigned InRelease with the host's `gpgv` against exactly the given
 * keyrings (an empty private homedir keeps ~/.gnupg/trustedkeys.kbx out of it).
 * Returns only the text gpgv vouches for.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HostError, ImageError } from '../../core/errors.js';

/** Decode an ASCII-armored OpenPGP block to binary (gpgv 2.2 reads only binary keyrings). */
export function dearmor(text: string): Buffer {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const begin = lines.findIndex((l) => /^-----BEGIN PGP [A-Z ]+-----$/.test(l));
  if (begin < 0) throw new Error('no armor header');
  let i = begin + 1;
  while (i < lines.length && lines[i] !== '' && (lines[i] as string).includes(':')) i++; // armor headers
  const body: string[] = [];
  for (; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.startsWith('-----END') || (l.startsWith('=') && l.length === 5)) break;
    body.push(l);
  }
  return Buffer.from(body.join(''), 'base64');
}

export interface GpgvOptions {
  /** Keyring files (binary or armored), or one inline armored key. */
  keyrings: string[];
  inlineKey?: string;
  /** Scratch dir for the homedir and converted keyrings. */
  workDir: string;
  gpgv?: string;
  /** What is being verified, for messages (a URL). */
  what: string;
}

/** Verify a clearsigned document; resolve to the signed text. Throws ImageError/HostError. */
export async function verifyClearsigned(signed: Buffer, opts: GpgvOptions): Promise<string> {
  const home = join(opts.workDir, 'gnupg');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const rings: string[] = [];
  let n = 0;
  const addArmored = async (text: string, from: string) => {
    let bin: Buffer;
    try {
      bin = dearmor(text);
    } catch {
      throw new ImageError('keyring-unreadable', `cannot read the OpenPGP key in ${from}`, {
        fix: 'fix the Signed-By key of that apt source',
      });
    }
    const p = join(home, `ring-${n++}.gpg`);
    await writeFile(p, bin);
    rings.push(p);
  };
  for (const k of opts.keyrings) {
    const abs = resolve(k);
    const data = await readFile(abs).catch(() => undefined);
    if (data === undefined) {
      throw new ImageError('keyring-missing', `apt keyring ${abs} is missing`, {
        fix: 'install debian-archive-keyring, or install busybox-static',
      });
    }
    if (data.subarray(0, 64).toString('latin1').includes('-----BEGIN PGP'))
      await addArmored(data.toString('utf8'), abs);
    else rings.push(abs);
  }
  if (opts.inlineKey !== undefined) await addArmored(opts.inlineKey, 'an inline Signed-By');
  const file = join(opts.workDir, `signed-${n++}-${process.pid}`);
  await writeFile(file, signed);

  const { execa } = await import('execa');
  const bin = opts.gpgv ?? 'gpgv';
  const args = ['--homedir', home, ...rings.flatMap((r) => ['--keyring', r]), '--output', '-', file];
  const res = await execa(bin, args, { reject: false, stripFinalNewline: false, timeout: 60_000 });
  if (res.failed && (res as { code?: string }).code === 'ENOENT') {
    throw new HostError('gpgv-missing', `cannot verify ${opts.what}: gpgv is not installed`, {
      fix: 'install gpgv (apt-get install gpgv), or install busybox-static',
    });
  }
  if (res.exitCode !== 0) {
    const why = String(res.stderr)
      .split('\n')
      .filter((l) => /BAD|No public key|invalid|no signature|not|expired/i.test(l))
      .pop()
      ?.replace(/^gpgv:\s*/, '');
    throw new ImageError('inrelease-bad-signature', `signature check of ${opts.what} failed${why ? `: ${why}` : ''}`, {
      fix: 'the mirror or a proxy may be tampering; check the apt source and its keyring, or install busybox-static',
    });
  }
  return String(res.stdout);
}
