/** Backend-independent checks of a spec, done before any side effect. */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { EnvSpec } from './spec.js';
import { SpecError } from './errors.js';
import { checkEntrypoint } from './command.js';
import { parseAccel } from './accel.js';

/** NUL cannot pass through argv, the environment or a path: refuse it by name (the library takes any string). */
export function checkNoNul(what: string, values: readonly (string | undefined)[]): void {
  for (const v of values) {
    if (v !== undefined && v.includes('\0')) {
      throw new SpecError('nul-byte', `${what} ${JSON.stringify(v)} contains a NUL byte`, {
        fix: 'remove the \\0 from it',
      });
    }
  }
}

export function validateSpec(spec: EnvSpec): void {
  checkNoNul('the name', [spec.name]);
  checkNoNul('the image', [spec.image]);
  checkNoNul('a command argument', spec.command);
  checkNoNul('an entrypoint argument', spec.entrypoint ?? []);
  checkNoNul(
    'an environment variable',
    Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
  );
  checkNoNul(
    'a label',
    Object.entries(spec.labels ?? {}).map(([k, v]) => `${k}=${v}`),
  );
  checkNoNul('the user', [spec.user]);
  checkNoNul('the workdir', [spec.workdir]);
  checkNoNul('the hostname', [spec.hostname]);
  checkNoNul(
    'a bind mount',
    spec.mounts.flatMap((m) => [m.source, m.target]),
  );
  checkNoNul('a capability', [...spec.security.capAdd, ...spec.security.capDrop]);
  checkEntrypoint(spec.entrypoint);
  for (const m of spec.mounts) {
    if (!isAbsolute(m.source)) {
      throw new SpecError('bad-mount', `bind mount source "${m.source}" is not an absolute path`, {
        fix: 'use -v /abs/host/path:/path/inside, or ./relative/path',
      });
    }
    if (!existsSync(m.source)) {
      throw new SpecError('no-such-path', `bind mount source ${m.source} does not exist`, {
        fix: 'create it first or fix the -v path',
      });
    }
    if (!isAbsolute(m.target)) {
      throw new SpecError('bad-mount', `bind mount target "${m.target}" is not an absolute path`, {
        fix: 'use -v /host/path:/abs/path/inside',
      });
    }
    if (m.target === '/' || /^\/(proc|sys|dev)(\/|$)/.test(m.target)) {
      throw new SpecError('bad-mount', `bind mount target ${m.target} is reserved`, {
        fix: 'mount somewhere other than /, /proc, /sys or /dev',
      });
    }
  }
  if (spec.workdir !== undefined && !isAbsolute(spec.workdir)) {
    throw new SpecError('bad-workdir', `workdir "${spec.workdir}" is not an absolute path`, {
      fix: 'use -w /abs/path',
    });
  }
  if (spec.kernel !== undefined && (spec.kernel.trim() === '' || spec.kernel.includes('\0'))) {
    throw new SpecError('bad-kernel', `invalid --kernel "${spec.kernel}"`, {
      fix: 'name a kernel from `berth kernels` or give a kernel file path',
    });
  }
  for (const p of spec.ports) {
    const port = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
    // hostPort 0: a free host port, picked when the environment is created.
    if (
      !(port(p.hostPort) || p.hostPort === 0) ||
      !port(p.guestPort) ||
      (p.protocol !== 'tcp' && p.protocol !== 'udp')
    ) {
      throw new SpecError('bad-port', `invalid published port ${JSON.stringify(p)}`, {
        fix: 'ports are 1-65535 (host port 0: a free one), protocol tcp or udp (-p [IP:][HOST:]GUEST[/tcp|udp])',
      });
    }
  }
  if (spec.hostname !== undefined && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/.test(spec.hostname)) {
    throw new SpecError('bad-hostname', `invalid hostname "${spec.hostname}"`, {
      fix: 'use letters, digits, . and -, at most 63 characters',
    });
  }
  if (spec.diskSizeBytes !== undefined && !(Number.isSafeInteger(spec.diskSizeBytes) && spec.diskSizeBytes > 0)) {
    throw new SpecError('bad-disk-size', `invalid disk size ${spec.diskSizeBytes}`, {
      fix: 'give a positive number of bytes (--disk-size 4g)',
    });
  }
  parseAccel(spec.accel);
  if (spec.accel !== undefined && spec.accel !== 'auto' && spec.backend !== 'microvm' && spec.backend !== 'auto') {
    throw new SpecError(
      'accel-needs-microvm',
      `--accel ${spec.accel} is for the microvm backend, not ${spec.backend}`,
      { fix: 'drop --accel or use --backend microvm' },
    );
  }
}
