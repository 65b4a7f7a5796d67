import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const doctorCommand: CommandModule<object, { json: boolean; refresh: boolean }> = {
  command: 'doctor',
  describe: 'Say which backends work on this host and why the others do not',
  builder: (y) =>
    y.option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }).option('refresh', {
      type: 'boolean',
      default: false,
      describe: 'redo the cached real tries (an unshare, the KVM boot) now',
    }) as never,
  handler: async (a) => {
    const r = await berth.doctor(a.refresh ? { refresh: true } : {});
    if (a.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return;
    }
    const out: string[] = [
      `berth doctor (${r.user.rootless ? `rootless, uid ${r.user.uid}` : 'root'}; data ${r.paths.data})`,
      '',
      'Backends (strongest first):',
    ];
    for (const b of r.backends) {
      out.push(
        `  ${b.probe.ok ? 'ok  ' : 'NO  '} ${b.name.padEnd(10)} ${b.capabilities.isolation} isolation${b.capabilities.separateKernel ? ', separate kernel' : ''}${b.probe.ok ? '' : ` - ${b.probe.reason}`}`,
      );
      if (b.probe.ok) out.push(`        ${b.capabilities.summary}`);
      for (const l of b.capabilities.knownLimits ?? []) out.push(`        known limit: ${l}`);
      for (const [k, v] of Object.entries(b.probe.details)) out.push(`        ${k}: ${v}`);
    }
    const setting =
      'error' in r.setting
        ? `NO: ${r.setting.error}`
        : r.setting.source === 'default'
          ? 'auto (no BERTH_BACKEND, no config file)'
          : `${r.setting.backend} (${r.setting.source})`;
    out.push(
      '',
      `Backend setting: ${setting}`,
      `berth run uses: ${r.choice}`,
      `--isolation kernel picks: ${r.kernelChoice}`,
      '',
      'Host:',
    );
    for (const [k, f] of Object.entries(r.host)) out.push(`  ${f.ok ? 'ok  ' : 'NO  '} ${k.padEnd(22)} ${f.detail}`);
    process.stdout.write(`${out.join('\n')}\n`);
  },
};
