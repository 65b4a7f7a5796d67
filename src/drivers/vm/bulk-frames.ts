/**
 * The bulk channel's frames (ADR 0053, docs/guest-protocol.md "The bulk channel"): session data
 * in files of a directory the guest shares (uml: hostfs), each file named by a small frame on
 * the control line, which keeps the order of everything. Pure encoding and decoding.
 */
import { ProtocolError } from './guest-protocol.js';

export const BulkFrame = {
  /** host -> guest: u32 seq, u32 length: stdin of the frame's session is the file i<seq>. */
  IN: 0x20,
  /** host -> guest: the host took one of the session's output files. */
  TAKEN: 0x21,
  /** guest -> host: the guest shares the directory; the host may send IN from now on. */
  READY: 0xa0,
  /** guest -> host: u8 STDOUT|STDERR, u32 seq, u32 length: output of the session is the file o<seq>. */
  OUT: 0xa1,
  /** guest -> host: u32 seq: the session's process has been given all of the file i<seq>. */
  DONE: 0xa2,
} as const;

/** Largest file either side writes (the guest's read buffer is this size too). */
export const BULK_CHUNK = 1 << 20;

export const inFileName = (seq: number): string => `i${seq >>> 0}`;
export const outFileName = (seq: number): string => `o${seq >>> 0}`;

export function encodeBulkIn(seq: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(seq >>> 0, 0);
  b.writeUInt32LE(length, 4);
  return b;
}

export function decodeBulkIn(p: Buffer): { seq: number; length: number } {
  if (p.length < 8) throw new ProtocolError(`bulk IN frame of ${p.length} bytes (needs 8)`);
  return { seq: p.readUInt32LE(0), length: p.readUInt32LE(4) };
}

export function encodeBulkOut(type: number, seq: number, length: number): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt8(type, 0);
  b.writeUInt32LE(seq >>> 0, 1);
  b.writeUInt32LE(length, 5);
  return b;
}

export function decodeBulkOut(p: Buffer): { type: number; seq: number; length: number } {
  if (p.length < 9) throw new ProtocolError(`bulk OUT frame of ${p.length} bytes (needs 9)`);
  return { type: p.readUInt8(0), seq: p.readUInt32LE(1), length: p.readUInt32LE(5) };
}

export function decodeBulkDone(p: Buffer): number {
  if (p.length < 4) throw new ProtocolError(`bulk DONE frame of ${p.length} bytes (needs 4)`);
  return p.readUInt32LE(0);
}
