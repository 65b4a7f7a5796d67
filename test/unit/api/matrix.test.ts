import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellsOf, matrixSpec } from '../../../src/api/matrix/cells.js';
import { junitXml } from '../../../src/api/matrix/report.js';

test('cells: kernels vary only the separate-kernel backends', () => {
  const cells = cellsOf({ backends: ['chroot', 'uml'], images: ['busybox', 'debian:bookworm'], kernels: ['a', 'b'] });
  assert.deepEqual(
    cells.map((c) => c.id),
    [
      'chroot-busybox',
      'chroot-debian_bookworm',
      'uml-busybox-a',
      'uml-busybox-b',
      'uml-debian_bookworm-a',
      'uml-debian_bookworm-b',
    ],
  );
});

test('cells: a kernel named after a backend only goes with that backend', () => {
  const cells = cellsOf({
    backends: ['uml', 'microvm', 'container'],
    images: ['busybox'],
    kernels: ['uml', 'microvm', '/k/bzImage'],
  });
  assert.deepEqual(
    cells.map((c) => c.id),
    [
      'uml-busybox-uml',
      'uml-busybox-_k_bzImage',
      'microvm-busybox-microvm',
      'microvm-busybox-_k_bzImage',
      'container-busybox',
    ],
  );
});

test('matrix spec: flags win over the file; bad input is a SpecError', () => {
  const m = matrixSpec(
    { backends: ['container'], images: ['x'], command: ['true'], jobs: 3 },
    { backends: 'chroot,container' },
  );
  assert.deepEqual([m.backends, m.images, m.command, m.jobs], [['chroot', 'container'], ['x'], ['true'], 3]);
  assert.throws(() => matrixSpec({}, { backends: 'chroot' }), /no command/);
  assert.throws(() => matrixSpec({}, { backends: 'vmware', command: ['x'] }), /unknown backend "vmware"/);
  assert.throws(() => matrixSpec({}, { command: ['x'] }), /no backend/);
  assert.throws(() => matrixSpec({ backends: 'chroot', command: ['x'] }, { jobs: 0 }), /--jobs/);
  assert.throws(() => matrixSpec({ backends: [1], command: ['x'] }, {}), /list of strings/);
});

test('junit: failures carry the log, unavailable cells are skipped, text is escaped', () => {
  const xml = junitXml(
    [
      { id: 'chroot-busybox', backend: 'chroot', image: 'busybox', state: 'passed', durationMs: 1500 },
      { id: 'container-busybox', backend: 'container', image: 'busybox', state: 'failed', exitCode: 2, durationMs: 10 },
      { id: 'uml-busybox', backend: 'uml', image: 'busybox', state: 'unavailable', reason: 'no <kernel> & "x"' },
    ],
    'm',
    () => 'bad <output>\u0001',
  );
  assert.match(xml, /tests="3" failures="1" errors="0" skipped="1" time="1.510"/);
  assert.match(xml, /<failure message="exit code 2">bad &lt;output&gt;<\/failure>/);
  assert.match(xml, /<skipped message="unavailable: no &lt;kernel&gt; &amp; &quot;x&quot;"\/>/);
});
