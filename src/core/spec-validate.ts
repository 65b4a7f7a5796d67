/** Backend-independent checks of a spec, done before any side effect. */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { EnvSpec } from './spec.js';
import { SpecError } from './errors.js';
import { checkEntrypoint } from './command.js';
import { parseAccel } from './accel.js';

export function validateSpec(spec: EnvSpec): void {
  checkEntrypoint(spec.entrypoint);
  for (const m of spec.mounts) {
    if (!isAbsolute(m.source)) {
      throw new SpecError('bad-mount', `bind mount source "${m.source}" is not an absolute path`, {
        fix: 'use -v /abs/host/path:/path/inside',
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
    if (!port(p.hostPort) || !port(p.guestPort) || (p.protocol !== 'tcp' && p.protocol !== 'udp')) {
      throw new SpecError('bad-port', `invalid published port ${JSON.stringify(p)}`, {
        fix: 'ports are 1-65535, protocol tcp or udp (-p [IP:]HOST:GUEST[/tcp|udp])',
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
