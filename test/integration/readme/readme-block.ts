/**
 * The README's `## Use` block as commands: the first fenced block under that heading, each line
 * without its `# comment`, split at top-level `;` (quotes respected), so `berth a; berth b` is two
 * commands checked one by one. Pure.
 */

export interface ReadmeCommand {
  /** 1-based line in README.md. */
  line: number;
  /** The command as written (trimmed, no comment). */
  text: string;
}

/** The lines of the first fenced block after `heading`, with their README line numbers. */
export function fencedBlock(markdown: string, heading: string): { line: number; text: string }[] {
  const lines = markdown.split('\n');
  const h = lines.findIndex((l) => l.trim() === heading);
  if (h < 0) throw new Error(`README.md has no "${heading}" heading`);
  const open = lines.findIndex((l, i) => i > h && l.startsWith('```'));
  const close = lines.findIndex((l, i) => i > open && l.startsWith('```'));
  if (open < 0 || close < 0) throw new Error(`no fenced block under "${heading}"`);
  return lines.slice(open + 1, close).map((text, i) => ({ line: open + 2 + i, text }));
}

/** Split one shell line into commands at top-level `;`, dropping a trailing `# comment`. */
export function splitLine(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      break;
    } else if (c === ';') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quote) throw new Error(`unbalanced quote in README line: ${text}`);
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

export function readmeCommands(markdown: string): ReadmeCommand[] {
  return fencedBlock(markdown, '## Use').flatMap((l) => splitLine(l.text).map((text) => ({ line: l.line, text })));
}
