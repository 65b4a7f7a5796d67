/**
 * The hot-path parser for `run` and `exec`: Docker's grammar, `VERB [OPTIONS] POSITIONAL... [--] CMD...`,
 * where option parsing stops at the first positional (so CMD's own flags are left alone).
 * Pure; driven by the same option tables as yargs.
 */
import type { OptionDef } from './options/option-table.js';
import { SpecError } from '../index.js';

export interface ParsedArgs {
  options: Record<string, string | boolean | string[]>;
  /** Positionals before the command (e.g. IMAGE for run, ENV for exec). */
  positionals: string[];
  command: string[];
  /** True when an explicit `--` separated the command. */
  dashDash: boolean;
}

function lookup(table: readonly OptionDef[], token: string): OptionDef | undefined {
  return token.length === 1 ? table.find((o) => o.short === token) : table.find((o) => o.name === token);
}

/**
 * @param leading how many positionals come before the command (run: 0 or 1 image; exec: 1 env)
 */
export function parseFastArgs(
  argv: string[],
  table: readonly OptionDef[],
  leading: { min: number; max: number },
): ParsedArgs {
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  const set = (def: OptionDef, value: string | boolean) => {
    if (def.choices && typeof value === 'string' && !def.choices.includes(value)) {
      throw new SpecError('bad-option', `invalid --${def.name} "${value}"`, {
        fix: `use one of: ${def.choices.join(', ')}`,
      });
    }
    if (def.multiple) ((options[def.name] ??= []) as string[]).push(String(value));
    else options[def.name] = value;
  };
  let i = 0;
  while (i < argv.length) {
    const tok = argv[i]!;
    if (tok === '--') {
      return { options, positionals, command: argv.slice(i + 1), dashDash: true };
    }
    if (tok.startsWith('-') && tok !== '-' && positionals.length === 0) {
      i++;
      if (tok.startsWith('--')) {
        const eq = tok.indexOf('=');
        const name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
        const def = lookup(table, name);
        if (!def) throw new SpecError('bad-option', `unknown option --${name}`, { fix: 'see --help' });
        if (def.type === 'boolean') {
          if (eq >= 0) throw new SpecError('bad-option', `--${name} takes no value`, { fix: 'see --help' });
          set(def, true);
        } else if (eq >= 0) set(def, tok.slice(eq + 1));
        else if (def.optionalValue !== undefined) {
          const next = argv[i];
          if (next !== undefined && def.choices?.includes(next)) {
            set(def, next);
            i++;
          } else set(def, def.optionalValue);
        } else {
          if (i >= argv.length)
            throw new SpecError('bad-option', `--${name} needs a value`, {
              fix: `e.g. --${name} ${def.valueName ?? 'VALUE'}`,
            });
          set(def, argv[i++]!);
        }
        continue;
      }
      // Short options, possibly grouped (-it) with a trailing value-taking one (-e K=V or -eK=V).
      for (let j = 1; j < tok.length; j++) {
        const def = lookup(table, tok[j]!);
        if (!def) throw new SpecError('bad-option', `unknown option -${tok[j]}`, { fix: 'see --help' });
        if (def.type === 'boolean') {
          set(def, true);
          continue;
        }
        const attached = tok.slice(j + 1);
        if (attached) set(def, attached);
        else {
          if (i >= argv.length)
            throw new SpecError('bad-option', `-${def.short} needs a value`, {
              fix: `e.g. -${def.short} ${def.valueName ?? 'VALUE'}`,
            });
          set(def, argv[i++]!);
        }
        break;
      }
      continue;
    }
    if (positionals.length < leading.max) {
      positionals.push(tok);
      i++;
      // After the leading positionals, an explicit -- or the command follows.
      if (positionals.length === leading.max) {
        const rest = argv.slice(i);
        if (rest[0] === '--') return { options, positionals, command: rest.slice(1), dashDash: true };
        return { options, positionals, command: rest, dashDash: false };
      }
      continue;
    }
    return { options, positionals, command: argv.slice(i), dashDash: false };
  }
  if (positionals.length < leading.min) {
    throw new SpecError('missing-arg', 'missing argument', { fix: 'see --help' });
  }
  return { options, positionals, command: [], dashDash: false };
}
