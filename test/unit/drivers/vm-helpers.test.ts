import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killHelpers, startHelpers } from '../../../src/drivers/vm/vm-helpers.js';
import { processesMentioning } from '../../../src/drivers/vm/vm-processes.js';

// Real processes (sh), no VM: the monitor's order of start (each helper listens first) and end.
test('VM helpers: started until their socket exists; one that exits first fails the start with its last line; killHelpers ends them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-helpers-'));
  try {
    const sock = join(dir, 'a.sock');
    const outputs: string[] = [];
    // The "socket" appears after a moment; the helper then stays (as virtiofsd does).
    await startHelpers(
      [
        {
          argv: ['sh', '-c', `sleep 0.2; echo listening; : > ${sock}; exec tail -f /dev/null ${sock}`],
          socket: sock,
          what: 'helper a',
        },
      ],
      (d) => outputs.push(d.toString()),
    );
    assert.ok(existsSync(sock));
    // (Its argv changes as sh execs tail: looked at again until it reads whole.)
    for (let i = 0; i < 100 && processesMentioning(dir).length !== 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(processesMentioning(dir).length, 1, 'the helper runs on');
    killHelpers(dir);
    for (let i = 0; i < 100 && processesMentioning(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(processesMentioning(dir), []);
    await assert.rejects(
      startHelpers(
        [
          {
            argv: ['sh', '-c', 'echo one >&2; echo "cannot serve: no such thing" >&2; exit 3'],
            socket: join(dir, 'b.sock'),
            what: 'helper b',
          },
        ],
        () => undefined,
      ),
      { message: 'helper b exited with status 3: cannot serve: no such thing' },
    );
  } finally {
    killHelpers(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});
