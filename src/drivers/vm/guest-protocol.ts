/**
 * The guest protocol (docs/guest-protocol.md): frames over one byte stream, multiplexed by
 * session id. Pure encoding and decoding; the guest init (native/init/) speaks the same.
 *   frame = type u8 | session u32 LE | length u32 LE | payload[length]
 */
import { SpecError } from '../../core/errors.js';

export const HEADER_LEN = 9;
export const MAX_PAYLOAD = 1 << 20;

export const FrameType = {
  // host -> guest (and client -> monitor)
  START: 0x01,
  STDIN: 0x02,
  RESIZE: 0x03,
  SIGNAL: 0x04,
  SHUTDOWN: 0x05,
  /** A clone resumed from a template: its hostname, the host's clock, RNG seed (identity.ts). */
  IDENTITY: 0x06,
  /** The reader of a session's output is behind: the init stops reading its stdout/stderr (monitor-flow.ts). */
  PAUSE: 0x07,
  /** ... and reads them again. */
  RESUME: 0x08,
  // client -> monitor only
  ATTACH: 0x10,
  DETACH: 0x11,
  /** The VM was put back to a checkpoint: the guest no longer knows the sessions in flight. */
  RESTORED: 0x12,
  // guest -> host (and monitor -> client)
  READY: 0x81,
  STARTED: 0x82,
  STDOUT: 0x83,
  STDERR: 0x84,
  EXIT: 0x85,
  /** u32: bytes of the channel the init has read (host -> guest flow control, guest-flow.ts). */
  ACK: 0x86,
} as const;

export interface Frame {
  type: number;
  session: number;
  payload: Buffer;
}

/** The 9 bytes in front of a payload of LENGTH bytes. */
export function frameHeader(type: number, session: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LEN);
  out.writeUInt8(type, 0);
  out.writeUInt32LE(session >>> 0, 1);
  out.writeUInt32LE(length, 5);
  return out;
}

export function encodeFrame(type: number, session: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (body.length > MAX_PAYLOAD) throw new RangeError(`frame payload of ${body.length} bytes exceeds ${MAX_PAYLOAD}`);
  const out = Buffer.allocUnsafe(HEADER_LEN + body.length);
  out.writeUInt8(type, 0);
  out.writeUInt32LE(session >>> 0, 1);
  out.writeUInt32LE(body.length, 5);
  body.copy(out, HEADER_LEN);
  return out;
}

/** Split a large output into frames of at most MAX_PAYLOAD bytes. */
export function encodeData(type: number, session: number, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += MAX_PAYLOAD)
    out.push(encodeFrame(type, session, data.subarray(off, off + MAX_PAYLOAD)));
  return out.length > 0 ? out : [encodeFrame(type, session)];
}

export class ProtocolError extends Error {}

/** Incremental decoder: feed chunks as they arrive, get whole frames back. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= HEADER_LEN) {
      const len = this.buf.readUInt32LE(off + 5);
      if (len > MAX_PAYLOAD)
        throw new ProtocolError(`frame of ${len} bytes exceeds ${MAX_PAYLOAD} (stream out of step)`);
      if (this.buf.length - off < HEADER_LEN + len) break;
      frames.push({
        type: this.buf.readUInt8(off),
        session: this.buf.readUInt32LE(off + 1),
        payload: Buffer.from(this.buf.subarray(off + HEADER_LEN, off + HEADER_LEN + len)),
      });
      off += HEADER_LEN + len;
    }
    this.buf = this.buf.subarray(off);
    return frames;
  }

  /** Bytes of an unfinished frame still waiting for the rest. */
  get pending(): number {
    return this.buf.length;
  }
}

/** What START asks the init to run. */
export interface StartRequest {
  argv: string[];
  env: string[];
  cwd: string;
  /** The main command's: create cwd when missing (an exec's must exist, as in Docker: 126 otherwise). */
  mkcwd?: boolean;
  uid: number;
  gid: number;
  groups: number[];
  tty: boolean;
  stdin: boolean;
  rows?: number;
  cols?: number;
  /** Filesystems the init mounts before starting the process (host directories shared into the guest). */
  mounts?: GuestMount[];
}

export interface GuestMount {
  /** `hostfs` (uml: the source is a host path); `9p`/`virtiofs` (the source is a tag). */
  type: string;
  source: string;
  target: string;
  readOnly: boolean;
  /**
   * A single file: the source is DIRECTORY/NAME; the init mounts DIRECTORY at a private staging
   * point, binds NAME over the target and detaches the staging mount (hostfs shares directories only).
   */
  file?: boolean;
}

/** `mount` value: ro|rw[,file]:TYPE:TARGET:SOURCE (the source last: it may contain ':'). */
export function encodeMount(m: GuestMount): string {
  if (m.type.includes(':') || m.target.includes(':'))
    throw new ProtocolError(`mount ${m.target}: ':' is not allowed in the type or target`);
  if (m.file && !/\/[^/]+$/.test(m.source))
    throw new ProtocolError(`mount ${m.target}: a file's source must end in /NAME`);
  return `${m.readOnly ? 'ro' : 'rw'}${m.file ? ',file' : ''}:${m.type}:${m.target}:${m.source}`;
}

export function decodeMount(v: string): GuestMount {
  const m = /^(ro|rw)(,file)?:([^:]+):([^:]+):(.*)$/s.exec(v);
  if (!m) throw new ProtocolError(`malformed mount "${v}"`);
  return { readOnly: m[1] === 'ro', type: m[3]!, target: m[4]!, source: m[5]!, ...(m[2] ? { file: true } : {}) };
}

/** START payload: key NUL value NUL pairs; `arg` and `env` repeat in order. */
export function encodeStart(r: StartRequest): Buffer {
  const pairs: [string, string][] = [
    ...r.argv.map((a): [string, string] => ['arg', a]),
    ...r.env.map((e): [string, string] => ['env', e]),
    ['cwd', r.cwd],
    ...(r.mkcwd ? [['mkcwd', '1'] as [string, string]] : []),
    ['uid', String(r.uid)],
    ['gid', String(r.gid)],
    ['groups', r.groups.join(',')],
    ['tty', r.tty ? '1' : '0'],
    ['stdin', r.stdin ? '1' : '0'],
  ];
  for (const m of r.mounts ?? []) pairs.push(['mount', encodeMount(m)]);
  if (r.rows !== undefined) pairs.push(['rows', String(r.rows)]);
  if (r.cols !== undefined) pairs.push(['cols', String(r.cols)]);
  for (const [k, v] of pairs) {
    if (v.includes('\0')) throw new ProtocolError(`${k} contains a NUL byte`);
  }
  const out = Buffer.from(pairs.map(([k, v]) => `${k}\0${v}\0`).join(''));
  if (out.length > MAX_PAYLOAD)
    throw new SpecError(
      'command-too-long',
      `the command (${r.argv.length} arguments) and its environment take ${out.length} bytes; a VM command takes at most ${MAX_PAYLOAD}`,
      { fix: 'pass long lists through a file or stdin (e.g. xargs inside) instead of arguments' },
    );
  return out;
}

export function decodeStart(p: Buffer): StartRequest {
  const parts = p.toString('utf8').split('\0');
  if (parts.length % 2 !== 1 || parts[parts.length - 1] !== '') throw new ProtocolError('malformed START payload');
  const r: StartRequest = { argv: [], env: [], cwd: '/', uid: 0, gid: 0, groups: [], tty: false, stdin: false };
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const k = parts[i]!;
    const v = parts[i + 1]!;
    if (k === 'arg') r.argv.push(v);
    else if (k === 'env') r.env.push(v);
    else if (k === 'cwd') r.cwd = v;
    else if (k === 'mkcwd') r.mkcwd = v === '1';
    else if (k === 'uid') r.uid = Number(v);
    else if (k === 'gid') r.gid = Number(v);
    else if (k === 'groups') r.groups = v === '' ? [] : v.split(',').map(Number);
    else if (k === 'tty') r.tty = v === '1';
    else if (k === 'stdin') r.stdin = v === '1';
    else if (k === 'rows') r.rows = Number(v);
    else if (k === 'cols') r.cols = Number(v);
    else if (k === 'mount') (r.mounts ??= []).push(decodeMount(v));
  }
  return r;
}

export interface ExitPayload {
  exitCode: number;
  /** Signal number that killed the command (0: none). */
  signal: number;
  /** The guest's OOM killer killed a process while the session ran (flag bit 0). */
  oomKilled?: boolean;
  /** berth's own error, or why the command could not be started. */
  error?: string;
}

/** EXIT flags (u16 after the signal; guests before them sent 0 there). */
const EXIT_OOM_KILLED = 0x1;

/** EXIT: i32 code, u16 signal, u16 flags, then an optional UTF-8 message. */
export function encodeExit(e: ExitPayload): Buffer {
  const msg = Buffer.from(e.error ?? '');
  const out = Buffer.alloc(8 + msg.length);
  out.writeInt32LE(e.exitCode, 0);
  out.writeUInt16LE(e.signal, 4);
  out.writeUInt16LE(e.oomKilled ? EXIT_OOM_KILLED : 0, 6);
  msg.copy(out, 8);
  return out;
}

export function decodeExit(p: Buffer): ExitPayload {
  if (p.length < 8) throw new ProtocolError(`EXIT payload of ${p.length} bytes is too short`);
  const error = p.subarray(8).toString('utf8');
  const flags = p.readUInt16LE(6);
  return {
    exitCode: p.readInt32LE(0),
    signal: p.readUInt16LE(4),
    ...(flags & EXIT_OOM_KILLED ? { oomKilled: true } : {}),
    ...(error ? { error } : {}),
  };
}

export function encodeU32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

export function decodeU32(p: Buffer): number {
  if (p.length < 4) throw new ProtocolError('payload too short for a u32');
  return p.readUInt32LE(0);
}

export function encodeResize(rows: number, cols: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(rows, 0);
  b.writeUInt16LE(cols, 2);
  return b;
}

export function decodeResize(p: Buffer): { rows: number; cols: number } {
  if (p.length < 4) throw new ProtocolError('RESIZE payload too short');
  return { rows: p.readUInt16LE(0), cols: p.readUInt16LE(2) };
}

/** What makes a clone of a template itself (IDENTITY): applied before READY, before any command. */
export interface Identity {
  hostname: string;
  /** Wall clock to step the guest to: seconds and nanoseconds since the epoch. */
  time: { sec: number; nsec: number };
  /** Bytes the guest mixes into its entropy pool before forcing a CRNG reseed (1 to 256). */
  seed: Buffer;
  /** A bridge network: the clone's lease as berth.net= gives it (ADDR/PREFIX,GATEWAY,DNS,MTU) and its MAC. */
  net?: { lease: string; mac: string };
}

export function encodeIdentity(i: Identity): Buffer {
  if (i.seed.length < 1 || i.seed.length > 256) throw new ProtocolError(`seed of ${i.seed.length} bytes (1 to 256)`);
  if (!Number.isInteger(i.time.sec) || !Number.isInteger(i.time.nsec) || i.time.nsec < 0 || i.time.nsec >= 1e9)
    throw new ProtocolError('time is not whole seconds and nanoseconds');
  if (i.hostname.includes('\0') || i.hostname.length > 64) throw new ProtocolError(`bad hostname "${i.hostname}"`);
  const pairs: [string, string][] = [
    ['hostname', i.hostname],
    ['time', `${i.time.sec}.${String(i.time.nsec).padStart(9, '0')}`],
    ['seed', i.seed.toString('hex')],
  ];
  if (i.net) {
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(i.net.mac)) throw new ProtocolError(`bad MAC "${i.net.mac}"`);
    if (!/^[0-9./,]{9,100}$/.test(i.net.lease)) throw new ProtocolError(`bad lease "${i.net.lease}"`);
    pairs.push(['net', i.net.lease], ['mac', i.net.mac]);
  }
  return Buffer.from(pairs.map(([k, v]) => `${k}\0${v}\0`).join(''));
}
