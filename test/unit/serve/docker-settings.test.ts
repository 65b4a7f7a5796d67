/** Docker's settings kept with a container (the berth.docker label), resize queries and an exec's terminal sizes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPlan } from '../../../src/serve/create-spec.js';
import { DOCKER_LABEL, dockerLabels, dockerSettingsOf } from '../../../src/serve/docker-settings.js';
import { sizeOf } from '../../../src/serve/terminal-query.js';
import { TerminalSizes } from '../../../src/serve/terminal-sizes.js';
import type { EnvRecord } from '../../../src/index.js';

/** A record as the library would write it from a plan's input (only what the settings read). */
const recordOf = (spec: { tty?: boolean; interactive?: boolean; labels?: Record<string, string> }) =>
  ({
    spec: {
      tty: false,
      interactive: false,
      labels: {},
      mounts: [{ source: '/a', target: '/b', readOnly: true }],
      ...spec,
    },
  }) as unknown as EnvRecord;

describe('Docker settings kept with the container', () => {
  it('what a create body asked comes back from the record alone (a restarted server)', () => {
    const p = createPlan(
      {
        Image: 'busybox',
        Tty: true,
        OpenStdin: true,
        Labels: { k: 'v' },
        ExposedPorts: { '80/tcp': {}, '53/udp': {} },
        HostConfig: { AutoRemove: true, NetworkMode: 'bridge', Binds: ['/srv:/data:ro'] },
      },
      undefined,
    );
    const rec = recordOf({ tty: p.input.tty!, interactive: p.input.interactive!, labels: p.input.labels! });
    assert.deepEqual(dockerSettingsOf(rec), p.docker);
    assert.deepEqual(p.docker, {
      tty: true,
      openStdin: true,
      autoRemove: true,
      exposedPorts: ['80/tcp', '53/udp'],
      networkMode: 'bridge',
      binds: ['/srv:/data:ro'],
    });
    assert.deepEqual(dockerLabels(rec.spec.labels), { k: 'v' }, 'clients see their own labels only');
  });
  it('an environment made without the API, or a label set by hand, gets the defaults', () => {
    for (const labels of [{}, { [DOCKER_LABEL]: 'not json' }, { [DOCKER_LABEL]: '{"exposedPorts":[1]}' }] as Record<
      string,
      string
    >[])
      assert.deepEqual(dockerSettingsOf(recordOf({ labels })), {
        tty: false,
        openStdin: false,
        autoRemove: false,
        exposedPorts: [],
        networkMode: 'default',
        binds: ['/a:/b:ro'],
      });
  });
});

describe('resize', () => {
  it('reads h rows and w columns; 0 is no size; anything else is a 400', () => {
    assert.deepEqual(sizeOf(new URLSearchParams('h=33&w=101')), { rows: 33, cols: 101 });
    assert.equal(sizeOf(new URLSearchParams('h=0&w=0')), undefined);
    assert.equal(sizeOf(new URLSearchParams('')), undefined);
    for (const q of ['h=x&w=1', 'h=-1&w=2', 'h=70000&w=2'])
      assert.throws(
        () => sizeOf(new URLSearchParams(q)),
        (e: { status?: number }) => e.status === 400,
        q,
      );
  });
  it("an exec's terminal sizes: the last one now, each one to whoever listens until it unsubscribes", () => {
    const t = new TerminalSizes();
    assert.equal(t.current(), undefined);
    const seen: string[] = [];
    const off = t.subscribe((s) => seen.push(`${s.rows}x${s.cols}`));
    t.set({ rows: 30, cols: 100 });
    off();
    t.set({ rows: 40, cols: 120 });
    assert.deepEqual(seen, ['30x100']);
    assert.deepEqual(t.current(), { rows: 40, cols: 120 });
  });
});
