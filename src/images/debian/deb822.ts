/**
 * Parser for Debian's RFC822-like control format (deb822), as used by Release/InRelease,
 * Packages indices and `.sources` files. Pure functions, no I/O.
 */

/** One paragraph: field names lower-cased; multi-line values joined with '\n'. */
export type Paragraph = Map<string, string>;

/**
 * Split deb822 text into paragraphs. Paragraphs are separated by blank lines; lines starting
 * with '#' are comments (dropped, they do not end a paragraph); lines starting with a space or
 * tab continue the previous field (a lone '.' stands for an empty line).
 */
export function parseParagraphs(text: string): Paragraph[] {
  const out: Paragraph[] = [];
  let cur: Paragraph = new Map();
  let last: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('#')) continue;
    if (line.trim() === '') {
      if (cur.size > 0) out.push(cur);
      cur = new Map();
      last = undefined;
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined) continue; // continuation with no field: ignore, like apt
      const cont = line.trim() === '.' ? '' : line.trim();
      const prev = cur.get(last) ?? '';
      cur.set(last, prev === '' ? cont : `${prev}\n${cont}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    cur.set(last, line.slice(colon + 1).trim());
  }
  if (cur.size > 0) out.push(cur);
  return out;
}

/** Parse exactly one paragraph (the first one), e.g. a Release file. */
export function parseParagraph(text: string): Paragraph {
  return parseParagraphs(text)[0] ?? new Map();
}

/** Whitespace-separated words of a field, [] when absent. */
export function words(p: Paragraph, field: string): string[] {
  const v = p.get(field.toLowerCase());
  return v === undefined ? [] : v.split(/\s+/).filter((w) => w !== '');
}
