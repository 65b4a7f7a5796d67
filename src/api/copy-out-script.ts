/**
 * `berth cp ENV:PATH DEST` in one exec: a sh script that stats PATH, makes Docker's checks (the
 * ones that need what PATH is inside, given what the host knows of DEST), refuses with an exit
 * code of its own, and otherwise writes PATH's stat on stderr (three lines) and execs tar on stdout.
 * Here: the script, its arguments, the refusals' errors and the stat's parsing (pure; the exec is
 * in env-archive.ts).
 */
import { SpecError } from '../core/errors.js';

/** What `stat` inside says about a path. */
export interface InsidePath {
  dir: boolean;
  size: number;
  /** st_mode */
  mode: number;
  mtimeSec: number;
  linkTarget: string;
}

export const OUT_REFUSED = { noSuchPath: 44, notADir: 85, dirToFile: 86, noDestDir: 87, noParent: 88 } as const;

/** sh: exit noSuchPath unless the path $1 is there (a dangling symlink is). */
export const PATH_EXISTS = `[ -e "$1" ] || [ -L "$1" ] || exit ${OUT_REFUSED.noSuchPath}`;
/** sh: $1's size, st_mode in hex and mtime, on one line (what parseStat and the API's stat read). */
export const PATH_STAT = 'stat -c "%s %f %Y" -- "$1"';

/**
 * $1 the path, $2 `dir` when it must be a directory (written with / or /.), $3 what the host
 * destination is (`file`, `dir`, `none`; `-` for a stream), $4 `/` when the destination was
 * written with a trailing slash, $5 `noparent` when the destination's directory does not exist,
 * $6 and $7 tar's -C directory and name. The checks come in the order they always had.
 */
const COPY_OUT_SCRIPT = [
  PATH_EXISTS,
  `st=$(${PATH_STAT}) || exit 1`,
  'ln=$(readlink -- "$1") || ln=',
  'if [ -d "$1" ]; then d=dir; else d=; fi',
  `if [ "$2" = dir ] && [ -z "$d" ]; then exit ${OUT_REFUSED.notADir}; fi`,
  `if [ "$3" = file ] && [ -n "$d" ]; then exit ${OUT_REFUSED.dirToFile}; fi`,
  `if [ "$3" = none ] && [ "$4" = / ] && [ -z "$d" ]; then exit ${OUT_REFUSED.noDestDir}; fi`,
  `if [ "$3" = none ] && [ "$5" = noparent ]; then exit ${OUT_REFUSED.noParent}; fi`,
  `printf '%s\\n%s\\n%s\\n' "$st" "$ln" "$d" >&2`,
  'exec tar -c -f - -C "$6" "$7"',
].join('\n');

export interface CopyOut {
  /** The path inside, normalized, without a trailing slash. */
  path: string;
  /** Written with a trailing slash or as `DIR/.`. */
  mustBeDir: boolean;
  /** The host destination; 'stream' for a tar on a stream. */
  dest: 'file' | 'dir' | 'none' | 'stream';
  destTrailingSlash: boolean;
  destParentMissing: boolean;
  tarDir: string;
  tarName: string;
}

export function copyOutArgv(c: CopyOut): string[] {
  return [
    'sh',
    '-c',
    COPY_OUT_SCRIPT,
    'copy-out',
    c.path,
    c.mustBeDir ? 'dir' : '',
    c.dest === 'stream' ? '-' : c.dest,
    c.destTrailingSlash ? '/' : '',
    c.destParentMissing ? 'noparent' : '',
    c.tarDir,
    c.tarName,
  ];
}

/** The error for a refusal code (PATH, DEST as the user wrote them), else undefined. */
export function copyOutRefusal(exitCode: number, path: string, dest: string): SpecError | undefined {
  switch (exitCode) {
    case OUT_REFUSED.noSuchPath:
      return new SpecError('no-such-path', `no such file or directory inside: ${path}`, {
        fix: 'check the path with "berth exec ENV ls"',
      });
    case OUT_REFUSED.notADir:
      return new SpecError('not-a-directory', `${path} is not a directory inside`, {
        fix: 'drop the trailing / or /.',
      });
    case OUT_REFUSED.dirToFile:
      return new SpecError('dir-to-file', `cannot copy the directory ${path} to the file ${dest}`, {
        fix: 'give a directory or a new path as the destination',
      });
    case OUT_REFUSED.noDestDir:
      return new SpecError('no-such-dest', `destination directory ${dest} does not exist`, {
        fix: 'create it first, or drop the trailing /',
      });
    case OUT_REFUSED.noParent:
      return new SpecError('no-such-dest', `the directory of ${dest} does not exist`, { fix: 'create it first' });
    default:
      return undefined;
  }
}

/** The stat the script wrote first on stderr, and what came after it (tar's own messages). */
export function parseCopyOutStat(stderr: string): { stat: InsidePath; rest: string } | undefined {
  const lines = stderr.split('\n');
  if (lines.length < 4) return undefined;
  const [first = '', link = '', kind = ''] = lines;
  const [size, hex, mtime] = first.trim().split(/\s+/);
  if (hex === undefined || mtime === undefined) return undefined;
  return {
    stat: {
      size: Number(size ?? 0),
      mode: Number.parseInt(hex, 16),
      mtimeSec: Number(mtime),
      linkTarget: link.trim(),
      dir: kind.trim() === 'dir',
    },
    rest: lines.slice(3).join('\n'),
  };
}
