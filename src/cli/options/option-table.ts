/**
 * CLI options as data. One table per verb feeds both the zero-cost hot-path parser
 * (fast-args.ts, used by `run` and `exec`) and yargs (help text and every other verb).
 */
export interface OptionDef {
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  describe: string;
  valueName?: string;
  choices?: readonly string[];
  /** A string option that may stand alone: then it has this value (the next token is its value only when it is one of `choices`). */
  optionalValue?: string;
}
