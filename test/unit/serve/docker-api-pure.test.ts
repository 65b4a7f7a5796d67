/** The pure parts of `berth serve`: framing, image names, the create body, path stat, socket paths. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { frame, unframe, outputWriter } from '../../../src/serve/frames.js';
import { berthImageRef, dockerImageName } from '../../../src/serve/image-names.js';
import { createPlan } from '../../../src/serve/create-spec.js';
import { goFileMode, parseStatOutput, isDir } from '../../../src/serve/path-stat.js';
import { defaultSocketPath, parseTcp } from '../../../src/serve/socket-path.js';
import { splitPath } from '../../../src/serve/exchange.js';
import { statusOf, type ApiError } from '../../../src/serve/errors.js';
import { StateError, ImageError, SpecError } from '../../../src/index.js';
import { findRoute } from '../../../src/serve/router.js';

describe('multiplexed frames', () => {
  it('puts the stream id and the big-endian length in an 8-byte header', () => {
    const f = frame('stderr', Buffer.from('hey'));
    assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 3]);
    assert.equal(f.subarray(8).toString(), 'hey');
    const both = Buffer.concat([frame('stdout', Buffer.from('a')), f, Buffer.from([1, 0, 0])]);
    const { frames, rest } = unframe(both);
    assert.deepEqual(
      frames.map((x) => [x.stream, x.payload.toString()]),
      [
        [1, 'a'],
        [2, 'hey'],
      ],
    );
    assert.equal(rest.length, 3);
  });
  it('writes raw bytes for a TTY and nothing for an empty chunk', () => {
    const out: Buffer[] = [];
    const w = outputWriter((b) => {
      out.push(b);
      return undefined;
    }, true);
    w('stdout', Buffer.from('x'));
    w('stdout', Buffer.alloc(0));
    assert.deepEqual(out, [Buffer.from('x')]);
  });
  it("hands back the write's promise (a full reply), so the output waits for the client", async () => {
    const full = Promise.resolve();
    const w = outputWriter(() => full, false);
    assert.equal(w('stdout', Buffer.from('x')), full);
    assert.equal(w('stderr', Buffer.alloc(0)), undefined);
  });
});

describe('image names', () => {
  it('maps every spelling of busybox to the builtin', () => {
    for (const n of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', 'library/busybox'])
      assert.equal(berthImageRef(n), 'busybox', n);
    assert.equal(berthImageRef('busybox', 'latest'), 'busybox');
  });
  it('keeps a registry of its own and adds the tag once', () => {
    assert.equal(berthImageRef('127.0.0.1:5000/test/bb', '1'), '127.0.0.1:5000/test/bb:1');
    assert.equal(berthImageRef('127.0.0.1:5000/test/bb:1', 'latest'), '127.0.0.1:5000/test/bb:1');
    assert.equal(berthImageRef('localhost/x', 'sha256:abc'), 'localhost/x@sha256:abc');
    assert.equal(berthImageRef('docker.io/library/alpine:3'), 'alpine:3');
    assert.equal(dockerImageName('builtin:busybox'), 'busybox:latest');
    assert.equal(dockerImageName('127.0.0.1:5000/a'), '127.0.0.1:5000/a:latest');
  });
});

describe('create body', () => {
  it('maps Cmd, Entrypoint, Env, Labels, ports, binds, limits and the backend label', () => {
    const p = createPlan(
      {
        Image: 'busybox:latest',
        Cmd: ['echo', 'hi'],
        Entrypoint: 'sh',
        Env: ['A=1', 'B=x=y', 'bad'],
        Labels: { 'berth.backend': 'uml', 'berth.kernel': '/usr/bin/linux.uml', k: 'v' },
        ExposedPorts: { '80/tcp': {} },
        Tty: true,
        HostConfig: {
          AutoRemove: true,
          PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '53/udp': [{ HostPort: '5353' }] },
          Binds: ['/srv:/data:ro'],
          Memory: 1 << 20,
          NanoCpus: 1_500_000_000,
          NetworkMode: 'bridge',
        },
      },
      '/named',
      'container',
    );
    assert.equal(p.input.image, 'busybox');
    assert.deepEqual(p.input.command, ['echo', 'hi']);
    // docker run -t: the command gets a terminal; no OpenStdin: no stdin (docker run -i sets it).
    assert.deepEqual([p.input.tty, p.input.interactive], [true, false]);
    assert.deepEqual(p.input.entrypoint, ['sh']);
    assert.deepEqual(p.input.env, { A: '1', B: 'x=y' });
    assert.equal(p.input.backend, 'uml');
    assert.equal(p.input.kernel, '/usr/bin/linux.uml');
    assert.equal(p.input.name, 'named');
    assert.equal(p.input.network, undefined);
    assert.deepEqual(p.input.mounts, [{ source: '/srv', target: '/data', readOnly: true }]);
    assert.deepEqual(p.input.limits, { memoryBytes: 1 << 20, cpus: 1.5 });
    assert.deepEqual(p.ports, [
      { hostIp: '127.0.0.1', hostPort: 0, guestPort: 80, protocol: 'tcp' },
      { hostPort: 5353, guestPort: 53, protocol: 'udp' },
    ]);
    assert.deepEqual(p.docker, {
      tty: true,
      openStdin: false,
      autoRemove: true,
      exposedPorts: ['80/tcp'],
      networkMode: 'bridge',
      binds: ['/srv:/data:ro'],
    });
  });
  it('leaves the backend to berth when neither server nor label names one', () => {
    assert.equal('backend' in createPlan({ Image: 'busybox' }, undefined).input, false);
  });
  it('refuses what it cannot honour with 400s', () => {
    const status = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as ApiError).status;
      }
      return 0;
    };
    assert.equal(
      status(() => createPlan({}, undefined)),
      400,
    );
    assert.equal(
      status(() => createPlan({ Image: 'b', HostConfig: { Binds: ['vol:/x'] } }, undefined)),
      400,
    );
    assert.equal(
      status(() => createPlan({ Image: 'b', HostConfig: { PortBindings: { x: [] } } }, undefined)),
      400,
    );
    assert.equal(
      status(() => createPlan({ Image: 'b', Labels: { 'berth.backend': 'kvm' } }, undefined)),
      400,
    );
  });
});

describe('path stat', () => {
  it("gives Go's FileMode bits", () => {
    assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755);
    assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
    assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
    const st = parseStatOutput('etc', '4096 41ed 1700000000\n\n');
    assert.deepEqual(st, {
      name: 'etc',
      size: 4096,
      mode: 2 ** 31 + 0o755,
      mtime: '2023-11-14T22:13:20.000Z',
      linkTarget: '',
    });
    assert.equal(isDir(st), true);
    assert.equal(isDir(parseStatOutput('f', '3 81a4 0\n\n')), false);
  });
});

describe('socket, tcp and paths', () => {
  it('defaults per user and refuses without XDG_RUNTIME_DIR', () => {
    assert.equal(defaultSocketPath(0, {}), '/run/berth/docker.sock');
    assert.equal(defaultSocketPath(1000, { XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000/berth/docker.sock');
    assert.throws(() => defaultSocketPath(1000, {}), /XDG_RUNTIME_DIR is not set/);
  });
  it('takes loopback TCP only', () => {
    assert.deepEqual(parseTcp('127.0.0.1:2375'), { host: '127.0.0.1', port: 2375 });
    assert.throws(() => parseTcp('0.0.0.0:2375'), /not a loopback address/);
    assert.throws(() => parseTcp('127.0.0.1:99999'), /not a loopback address/);
  });
  it('accepts any /v1.NN prefix and none', () => {
    assert.equal(splitPath('/v1.41/containers/json?all=1').path, '/containers/json');
    assert.equal(splitPath('/v1.44/_ping').path, '/_ping');
    assert.equal(splitPath('/containers/json').query.get('all'), null);
    const r = findRoute('GET', '/images/127.0.0.1:5000/test/bb:1/json');
    assert.ok(r && r !== 'no-method');
    assert.deepEqual(r.params, ['127.0.0.1:5000/test/bb:1']);
    assert.equal(findRoute('PATCH', '/containers/json'), 'no-method');
    assert.equal(findRoute('GET', '/nope'), undefined);
  });
});

describe('error statuses', () => {
  it("map berth's errors to Docker's codes", () => {
    assert.deepEqual(statusOf(new StateError('no-such-env', 'x'), { container: 'c1' }), {
      status: 404,
      message: 'No such container: c1',
    });
    assert.equal(statusOf(new ImageError('not-stored', 'x'), { image: 'i' }).status, 404);
    assert.equal(statusOf(new StateError('running', 'x')).status, 409);
    assert.equal(statusOf(new SpecError('bad', 'x')).status, 400);
    assert.equal(statusOf(new Error('boom')).status, 500);
  });
});
