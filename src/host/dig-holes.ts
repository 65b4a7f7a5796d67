/**
 * Give back the disk blocks of a file's zero-filled ranges (`fallocate --dig-holes`, util-linux):
 * a template's RAM file is as long as the guest's memory, and most of it is pages the guest
 * zeroed. Best effort: without the tool, or on a file system that cannot punch holes, the file
 * stays as it is (only larger on disk).
 */
import { spawn } from 'node:child_process';

export function digHoles(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('fallocate', ['--dig-holes', path], { stdio: 'ignore' });
    p.once('error', () => resolve(false));
    p.once('exit', (code) => resolve(code === 0));
  });
}
