/**
 * A separate process for downloader.test.ts: `node download-child.js URL PARTIAL SIZE DIGEST` runs one
 * download and prints its result (or the error's code) as JSON, so the test can kill -9 it mid-way
 * and run it as the unprivileged test user.
 */
import { download } from '../../../src/images/download/download.js';

const [url, partial, size, digest] = process.argv.slice(2) as [string, string, string, string];
try {
  const r = await download({ url, partial, size: Number(size), digest, timeoutMs: 60_000 });
  process.stdout.write(`${JSON.stringify({ ok: true, ...r })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: (e as { code?: string }).code })}\n`);
  process.exitCode = 1;
}
