/** Pure qemu-img argv builders for per-environment qcow2 overlays (microvm), unit-tested. */

export interface Qcow2CreateArgs {
  qemuImg: string;
  /** The raw ext4 base, absolute (recorded in the overlay header). */
  base: string;
  overlay: string;
  /** Virtual size; omitted = the base's size. */
  sizeBytes?: number;
  /** The base's format: raw (an image's ext4 base, the default) or qcow2 (a template's frozen disk). */
  baseFormat?: 'raw' | 'qcow2';
}

/**
 * `qemu-img create -f qcow2 -F raw -b BASE OVERLAY [SIZE]`: a new overlay backed by the base,
 * which qemu-img only reads (to learn its size).
 */
export function qcow2CreateArgv(a: Qcow2CreateArgs): string[] {
  if (!a.base.startsWith('/')) throw new RangeError(`the base path must be absolute: ${a.base}`);
  const argv = [a.qemuImg, 'create', '-q', '-f', 'qcow2', '-F', a.baseFormat ?? 'raw', '-b', a.base, a.overlay];
  if (a.sizeBytes !== undefined) argv.push(String(a.sizeBytes));
  return argv;
}

/** `qemu-img info --output=json` (with -U: readable while a VM holds the image open). */
export function qemuImgInfoArgv(qemuImg: string, file: string): string[] {
  return [qemuImg, 'info', '-U', '--output=json', file];
}

export interface Qcow2Info {
  virtualSize: number;
  actualSize: number;
  format: string;
  backingFile?: string;
  backingFormat?: string;
}

/** The fields berth uses from `qemu-img info --output=json`. */
export function parseQemuImgInfo(json: string): Qcow2Info {
  const j = JSON.parse(json) as Record<string, unknown>;
  const info: Qcow2Info = {
    virtualSize: Number(j['virtual-size']),
    actualSize: Number(j['actual-size']),
    format: String(j.format),
  };
  if (typeof j['backing-filename'] === 'string') info.backingFile = j['backing-filename'];
  if (typeof j['backing-filename-format'] === 'string') info.backingFormat = j['backing-filename-format'];
  return info;
}
