/** The held command (archive before start): sh waits for SIGUSR1, then is the real command. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { HOLD_SIGNAL, heldArgv, heldCommand } from '../../../src/api/start-held.js';

it('a held command runs nothing until SIGUSR1, then execs the real argv in the same process', async () => {
  const [sh, ...args] = heldArgv(['sh', '-c', 'echo "released $$"; exit 3']);
  const child = spawn(sh!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  // The shell has set its trap once it waits: its child sleep is there.
  const { execFileSync } = await import('node:child_process');
  for (let i = 0; i < 400; i++) {
    const kids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).trim();
    if (kids) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(out, '', 'nothing ran before the release');
  const code = new Promise<number | null>((r) => child.once('close', r));
  child.kill(`SIG${HOLD_SIGNAL}` as NodeJS.Signals);
  assert.equal(await code, 3);
  assert.equal(out, `released ${child.pid}\n`);
});

it('heldCommand gives back the real argv of a held one and nothing for any other', () => {
  const real = ['sh', '-c', 'echo hi'];
  assert.deepEqual(heldCommand(heldArgv(real)), real);
  assert.equal(heldCommand(real), undefined);
  assert.equal(heldCommand(['/bin/sh', '-c', 'sleep 1', 'berth-hold', 'x']), undefined, 'another script is not a hold');
});
