/** Decompressing zstd data with the host's `zstd` (Node 20 has no zstd in zlib). */
import { HostError } from '../core/errors.js';

export async function zstdDecompress(data: Buffer, what: string): Promise<Buffer> {
  try {
    // Loaded here, not at the top: the CLI's hot bundle keeps execa out (scripts/bundle.mjs).
    const { execa } = await import('execa');
    const r = await execa('zstd', ['-dc'], { input: data, encoding: 'buffer', stripFinalNewline: false });
    return Buffer.from(r.stdout);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new HostError(
      missing ? 'no-zstd' : 'zstd-failed',
      missing ? `zstd is needed to decompress ${what}` : `cannot decompress ${what} with zstd`,
      {
        fix: missing
          ? 'install zstd (apt-get install zstd)'
          : 'the file is corrupt; remove the kernel from the cache and fetch it again',
        cause: e,
      },
    );
  }
}
