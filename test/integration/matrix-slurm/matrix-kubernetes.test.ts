/**
 * `berth matrix --on kubernetes --emit FILE`, on paper: the JSON List parses (kubectl accepts JSON),
 * holds an Indexed Job with one completion index per cell and the pod needs the backends imply;
 * its ConfigMap's task script, run as a pod would run it (JOB_COMPLETION_INDEX, NODE_NAME), runs
 * the cell with the real berth and writes the record a Slurm task writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRunner, type Mode, packageDir } from '../../helpers/berth-cli.js';

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`matrix --on kubernetes --emit writes an Indexed Job whose task script runs a cell (${mode})`, async () => {
    const runner = makeRunner(mode);
    const dir = mkdtempSync(join(tmpdir(), 'berth-matrix-k8s-'));
    chmodSync(dir, 0o777);
    const launcher = join(dir, 'berth');
    writeFileSync(launcher, `#!/bin/sh\nexec ${process.execPath} ${join(packageDir(), 'dist', 'berth.cjs')} "$@"\n`, {
      mode: 0o755,
    });
    try {
      const args = ['matrix', '--on', 'kubernetes', '--backend', 'chroot,uml,microvm', '--berth-path', launcher];
      const r = await runner.run([...args, '--emit', join(dir, 'job.json'), '--', 'sh', '-c', 'echo in-pod'], {
        cwd: dir,
      });
      assert.equal(r.code, 0, r.stderr);
      const list = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8'));
      assert.equal(list.kind, 'List');
      const [cm, job] = list.items;
      assert.equal(cm.kind, 'ConfigMap');
      assert.equal(job.kind, 'Job');
      assert.equal(job.spec.completionMode, 'Indexed');
      assert.equal(job.spec.completions, 3);
      const pod = job.spec.template.spec;
      assert.equal(pod.restartPolicy, 'Never');
      assert.deepEqual(pod.containers[0].securityContext, { privileged: true });
      assert.deepEqual(pod.containers[0].resources.limits, { 'devices.kubevirt.io/kvm': '1' });
      assert.deepEqual(pod.containers[0].command, [
        '/bin/sh',
        '/etc/berth-matrix/task.sh',
        '/etc/berth-matrix/plan.json',
      ]);
      const plan = JSON.parse(cm.data['plan.json']);
      assert.deepEqual(
        plan.cells.map((c: { id: string }) => c.id),
        ['chroot-busybox', 'uml-busybox', 'microvm-busybox'],
      );
      assert.equal(pod.containers[0].volumeMounts[1].mountPath, plan.resultsDir);
      // Index 0 as a pod runs it: the same task script, the real berth, the record in the results volume.
      writeFileSync(join(dir, 'task.sh'), cm.data['task.sh']);
      writeFileSync(join(dir, 'plan.json'), cm.data['plan.json']);
      const ran = await runner.hostRun('sh', [
        '-c',
        'JOB_COMPLETION_INDEX=0 NODE_NAME=pod-node exec sh "$1/task.sh" "$1/plan.json"',
        'sh',
        dir,
      ]);
      assert.equal(ran.code, 0, ran.stdout + ran.stderr);
      const rec = JSON.parse(readFileSync(join(plan.resultsDir, 'cells', 'chroot-busybox.json'), 'utf8'));
      assert.equal(rec.state, 'passed');
      assert.equal(rec.node, 'pod-node');
      assert.equal(readFileSync(join(plan.resultsDir, 'logs', 'chroot-busybox.log'), 'utf8'), 'in-pod\n');
      // Without --emit there is nothing to do yet: berth's own error.
      const none = await runner.run(['matrix', '--on', 'kubernetes', '--backend', 'chroot', '--', 'true'], {
        cwd: dir,
      });
      assert.equal(none.code, 125);
      assert.match(none.stderr, /--emit FILE is missing/);
    } finally {
      runner.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
