/** Environment ids and names: 64 hex ids (short form 12), Docker-style generated names. */
import { randomHex, randomBelow } from './random.js';
import { SpecError } from './errors.js';

const ADJECTIVES = [
  'brave',
  'calm',
  'eager',
  'fond',
  'keen',
  'lucid',
  'merry',
  'nimble',
  'quiet',
  'swift',
  'tidy',
  'witty',
  'bold',
  'deft',
  'proud',
  'sunny',
];
const NOUNS = [
  'anchor',
  'buoy',
  'cove',
  'dock',
  'ferry',
  'harbor',
  'jetty',
  'keel',
  'mast',
  'pier',
  'quay',
  'rudder',
  'sail',
  'tide',
  'wharf',
  'hull',
];

export function newId(): string {
  return randomHex(32);
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

export function generateName(): string {
  return `${ADJECTIVES[randomBelow(ADJECTIVES.length)]}_${NOUNS[randomBelow(NOUNS.length)]}_${randomBelow(100)}`;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export function checkName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new SpecError('bad-name', `invalid name "${name}"`, {
      fix: 'use 1-63 letters, digits, _ . or -, starting with a letter or digit',
    });
  }
  return name;
}
