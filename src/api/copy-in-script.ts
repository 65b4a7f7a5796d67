/**
 * `berth cp` into an environment in one exec: a sh script that makes Docker's destination checks
 * inside (does the path exist, is it a directory, does its directory exist), refuses with an exit
 * code of its own, and otherwise prints one line, GO, and extracts the tar on its stdin. The host
 * opens its source only after GO, so a refused copy reads nothing. Here: the script, its arguments
 * and the refusal codes' errors (pure; the exec is in env-archive.ts).
 */
import { posix } from 'node:path';
import { SpecError } from '../core/errors.js';

/** What the script prints once it will read stdin. */
export const GO = 'go';

/** A refused copy (not a failure of the image's tools: tar, mkdir and mv exit 1 or 2). */
export const REFUSED = { noSuchDir: 80, dirToFile: 81, noDestDir: 82, noParent: 83, notADir: 84 } as const;

/**
 * $1 the destination, $2 its directory, $3 the source's name in the tar, $4 `dir` when the source
 * is a directory, $5 `into` to extract into $1 whatever it is (`SRC/.`), $6 `/` when the
 * destination was written with a trailing slash. An existing directory (or a link to one) takes
 * the tar as it is; otherwise the tar is extracted beside $1 and its $3 renamed onto $1 (replacing
 * a file).
 */
const COPY_IN_SCRIPT = [
  'if [ -e "$1" ] || [ -L "$1" ]; then',
  `  if [ -d "$1" ]; then set -- "$1" "$2" "$3" "$4" into; elif [ "$4" = dir ]; then exit ${REFUSED.dirToFile}; fi`,
  'else',
  `  if [ "$6" = / ] && [ "$4" != dir ]; then exit ${REFUSED.noDestDir}; fi`,
  `  [ -d "$2" ] || exit ${REFUSED.noParent}`,
  'fi',
  `echo ${GO}`,
  'if [ "$5" = into ]; then mkdir -p "$1" && exec tar -x -f - -C "$1"; fi',
  't=$(mktemp -d "$2/.berth-cp.XXXXXX") || exit 1',
  'tar -x -f - -C "$t" && mv -f "$t/$3" "$1"; s=$?; rm -rf "$t"; exit $s',
].join('\n');

/**
 * A tar stream (`berth cp - ENV:DIR`, the Engine API's PUT archive) goes into an existing
 * directory only: a path that does not exist and one that is no directory are refused apart
 * (Docker answers 404 and 400).
 */
const TAR_IN_SCRIPT = [
  `[ -e "$1" ] || [ -L "$1" ] || exit ${REFUSED.noSuchDir}`,
  `[ -d "$1" ] || exit ${REFUSED.notADir}`,
  `echo ${GO}`,
  'exec tar -x -f - -C "$1"',
].join('\n');

export interface CopyIn {
  /** The destination inside, normalized, without a trailing slash. */
  dest: string;
  /** The source's name in the tar ('.' for `SRC/.`). */
  name: string;
  sourceIsDir: boolean;
  /** `SRC/.`: the contents go into the destination, made if it does not exist. */
  contents: boolean;
  /** The destination as written ended in a slash. */
  trailingSlash: boolean;
}

export function copyInArgv(c: CopyIn): string[] {
  return [
    'sh',
    '-c',
    COPY_IN_SCRIPT,
    'copy-in',
    c.dest,
    posix.dirname(c.dest),
    c.name,
    c.sourceIsDir ? 'dir' : 'file',
    c.contents ? 'into' : 'auto',
    c.trailingSlash ? '/' : '',
  ];
}

export function tarInArgv(dest: string): string[] {
  return ['sh', '-c', TAR_IN_SCRIPT, 'copy-in', dest];
}

/** The error for a refusal code of either script (SRC, PATH as the user wrote them), else undefined. */
export function copyInRefusal(exitCode: number, src: string, path: string): SpecError | undefined {
  switch (exitCode) {
    case REFUSED.dirToFile:
      return new SpecError('dir-to-file', `cannot copy the directory ${src} to the file ${path} inside`, {
        fix: 'give a directory or a new path as the destination',
      });
    case REFUSED.noDestDir:
      return new SpecError('no-such-dest', `destination directory ${path} does not exist inside`, {
        fix: 'create it first, or drop the trailing /',
      });
    case REFUSED.noParent:
      return new SpecError('no-such-dest', `the directory of ${path} does not exist inside`, {
        fix: 'create it first',
      });
    case REFUSED.noSuchDir:
      return new SpecError('no-such-dest', `destination ${path} does not exist inside`, {
        fix: 'a tar stream is extracted into a directory: create it first',
      });
    case REFUSED.notADir:
      return new SpecError('not-a-directory', `destination ${path} must be an existing directory inside`, {
        fix: 'a tar stream is extracted into a directory: create it first',
      });
    default:
      return undefined;
  }
}
