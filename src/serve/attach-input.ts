/**
 * A client's stdin on a hijacked connection, on its way to a command: passed on as it comes; the
 * command's stdin ends when the client half-closes or goes away. Typing the detach keys lets the
 * client go instead and leaves the command running with its stdin open (Docker's detach).
 */
import { PassThrough, type Readable } from 'node:stream';
import * as berth from '../index.js';
import { badRequest } from './errors.js';

/** Docker's detachKeys (query or exec body); empty or absent: ctrl-p,ctrl-q. */
export function detachKeysOf(spec: string | null | undefined): number[] {
  try {
    return berth.parseDetachKeys(spec || berth.DEFAULT_DETACH_KEYS);
  } catch (e) {
    throw badRequest(berth.isBerthError(e) ? e.message : String(e));
  }
}

/**
 * ON_DETACH: the keys were typed. ON_END (optional): the client's input ended (a half-close, or
 * the client went: on a socket the two look the same until something is written).
 */
export function attachInput(client: Readable, keys: number[], onDetach: () => void, onEnd?: () => void): Readable {
  const out = new PassThrough();
  const typed = berth.detachMatcher(keys);
  let detached = false;
  let over = false;
  const onData = (chunk: Buffer) => {
    if (!typed(chunk)) return void out.write(chunk);
    detached = true;
    client.off('data', onData);
    onDetach();
  };
  const ended = () => {
    if (detached || over) return;
    over = true;
    out.end();
    onEnd?.();
  };
  client.on('data', onData);
  client.once('end', ended);
  client.once('close', ended);
  client.resume();
  return out;
}
