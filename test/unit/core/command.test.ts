/**
 * The command an environment runs, against Docker's rule table (daemon merge + mergeAndVerifyConfig,
 * CLI `--entrypoint`): argv = ENTRYPOINT + CMD; run arguments replace CMD; an explicit entrypoint
 * (even the cleared '') drops the image's CMD; nothing at all is "no command specified".
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCommand, checkEntrypoint, commandOf } from '../../../src/core/command.js';
import { SpecError } from '../../../src/core/errors.js';

const IMG = { entrypoint: ['/bin/sh', '-c'], cmd: ['echo default'] };
const CMD_ONLY = { entrypoint: [], cmd: ['sh'] };
const EP_ONLY = { entrypoint: ['/bin/app'], cmd: [] };
const NOTHING = { entrypoint: [], cmd: [] };

describe("resolveCommand: Docker's ENTRYPOINT/CMD rules", () => {
  const rows: [
    string,
    { entrypoint: string[]; cmd: string[] },
    { entrypoint?: string[]; command: string[] },
    string[],
    string[],
  ][] = [
    // name, image, run, expected entrypoint, expected cmd
    ['image ENTRYPOINT + CMD', IMG, { command: [] }, ['/bin/sh', '-c'], ['echo default']],
    ['run arguments replace CMD only', IMG, { command: ['echo over:$FOO'] }, ['/bin/sh', '-c'], ['echo over:$FOO']],
    ['--entrypoint X drops the image CMD', IMG, { entrypoint: ['/bin/echo'], command: [] }, ['/bin/echo'], []],
    ['--entrypoint X + arguments', IMG, { entrypoint: ['/bin/echo'], command: ['a', 'b'] }, ['/bin/echo'], ['a', 'b']],
    ["--entrypoint '' + arguments", IMG, { entrypoint: [''], command: ['id', '-u'] }, [], ['id', '-u']],
    ['entrypoint: [] (library) + arguments', IMG, { entrypoint: [], command: ['id'] }, [], ['id']],
    ['CMD-only image', CMD_ONLY, { command: [] }, [], ['sh']],
    ['CMD-only image, arguments', CMD_ONLY, { command: ['ls', '-l'] }, [], ['ls', '-l']],
    ['ENTRYPOINT-only image', EP_ONLY, { command: [] }, ['/bin/app'], []],
    ['ENTRYPOINT-only image, arguments', EP_ONLY, { command: ['--flag'] }, ['/bin/app'], ['--flag']],
    ['empty image, arguments', NOTHING, { command: ['true'] }, [], ['true']],
    ['empty image, --entrypoint', NOTHING, { entrypoint: ['/bin/true'], command: [] }, ['/bin/true'], []],
    ['an image ENTRYPOINT [""] counts as none', { entrypoint: [''], cmd: ['sh'] }, { command: [] }, [], ['sh']],
  ];
  for (const [name, image, run, entrypoint, cmd] of rows) {
    it(name, () => {
      assert.deepEqual(resolveCommand(image, run), { entrypoint, cmd, argv: [...entrypoint, ...cmd] });
    });
  }

  const none: [
    string,
    { entrypoint: string[]; cmd: string[] },
    { entrypoint?: string[]; command: string[] },
    RegExp,
  ][] = [
    [
      'no ENTRYPOINT, no CMD, no arguments',
      NOTHING,
      { command: [] },
      /no command to run: the image has no ENTRYPOINT or CMD/,
    ],
    ["--entrypoint '' drops the image CMD too", IMG, { entrypoint: [''], command: [] }, /--entrypoint '' cleared/],
    ['entrypoint: [] drops the image CMD too', CMD_ONLY, { entrypoint: [], command: [] }, /--entrypoint '' cleared/],
  ];
  for (const [name, image, run, re] of none) {
    it(`${name}: one SpecError naming the fix`, () => {
      assert.throws(
        () => resolveCommand(image, run),
        (e: unknown) => {
          assert.ok(e instanceof SpecError);
          assert.equal(e.code, 'no-command');
          assert.match(e.message, re);
          assert.ok(!e.message.includes('\n'));
          assert.match(e.fix ?? '', /--entrypoint/);
          return true;
        },
      );
    });
  }

  it('never aliases its inputs', () => {
    const image = { entrypoint: ['/bin/sh'], cmd: ['x'] };
    const r = resolveCommand(image, { command: [] });
    r.argv.push('y');
    r.entrypoint.push('z');
    assert.deepEqual(image, { entrypoint: ['/bin/sh'], cmd: ['x'] });
  });
});

describe('checkEntrypoint: library input', () => {
  it("accepts undefined, [], [''] and string arrays", () => {
    for (const ok of [undefined, [], [''], ['/bin/sh', '-c']]) checkEntrypoint(ok);
  });
  it('refuses non-arrays and non-strings with a SpecError', () => {
    for (const bad of ['/bin/sh', [1], [null], {}]) {
      assert.throws(
        () => checkEntrypoint(bad),
        (e: unknown) => e instanceof SpecError && e.code === 'bad-entrypoint' && /array of strings/.test(e.fix ?? ''),
      );
    }
  });
});

describe("commandOf: the library's command input, normalised once", () => {
  it("keeps an argv, and gives [] (the image's CMD) for none", () => {
    assert.deepEqual(commandOf(['echo', 'hi']), ['echo', 'hi']);
    assert.deepEqual(commandOf(undefined), []);
    assert.deepEqual(commandOf([]), []);
  });
  it("runs a string as Docker's shell form, not letter by letter", () => {
    assert.deepEqual(commandOf('echo hi && ls'), ['/bin/sh', '-c', 'echo hi && ls']);
  });
  it('refuses an empty string and non-strings with a SpecError', () => {
    for (const bad of ['', '  ', 42, ['echo', 1], { cmd: 'x' }]) {
      assert.throws(
        () => commandOf(bad),
        (e: unknown) => e instanceof SpecError && e.code === 'bad-command' && e.fix !== undefined,
      );
    }
  });
});
