import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { parseAr, ArFormatError } from '../../../src/images/debian/ar.js';
import { DebFormatError, extractFileFromDeb } from '../../../src/images/debian/deb-extract.js';
import { dearmor } from '../../../src/images/debian/gpgv.js';
import { isStaticElf, readElf } from '../../../src/images/builtin/elf.js';
import { busyboxVersion } from '../../../src/images/builtin/rootfs.js';

function arHeader(name: string, size: number): string {
  return `${name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${String(size).padEnd(10)}\`\n`;
}
function ar(members: Array<[string, Buffer]>): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n')];
  for (const [name, data] of members) {
    parts.push(Buffer.from(arHeader(name, data.length), 'latin1'), data);
    if (data.length % 2 === 1) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** A minimal ustar archive with regular files. */
function tarOf(files: Array<[string, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, data] of files) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 'utf8');
    h.write('0000755\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

test('ar: members, odd sizes padded, GNU slash names, BSD long names', () => {
  const bsdName = 'a-rather-long-member-name.txt';
  const bsd = Buffer.concat([Buffer.from(bsdName), Buffer.from('xyz')]);
  const buf = ar([
    ['debian-binary', Buffer.from('2.0\n')],
    ['control.tar.gz/', Buffer.from('abc')],
    [`#1/${bsdName.length}`, bsd],
  ]);
  const m = parseAr(buf);
  assert.deepEqual(
    m.map((x) => x.name),
    ['debian-binary', 'control.tar.gz', bsdName],
  );
  assert.equal(m[0]?.data.toString(), '2.0\n');
  assert.equal(m[1]?.data.toString(), 'abc');
  assert.equal(m[2]?.data.toString(), 'xyz');
  assert.equal(m[1]?.mode, 0o100644);
});

test('ar: rejects bad magic, truncation and bad headers', () => {
  assert.throws(() => parseAr(Buffer.from('not an archive')), ArFormatError);
  const good = ar([['f', Buffer.from('hello')]]);
  assert.throws(() => parseAr(good.subarray(0, good.length - 3)), /runs past the end/);
  const bad = Buffer.from(good);
  bad[8 + 58] = 0x41;
  assert.throws(() => parseAr(bad), /bad member header/);
  assert.throws(() => parseAr(Buffer.concat([Buffer.from('!<arch>\n'), Buffer.from('short')])), /truncated/);
});

test('deb: pulls one file out of data.tar.gz in TypeScript', async () => {
  const data = gzipSync(
    tarOf([
      ['./usr/share/doc/x', Buffer.from('doc')],
      ['./bin/busybox', Buffer.from('BB')],
    ]),
  );
  const deb = ar([
    ['debian-binary', Buffer.from('2.0\n')],
    ['control.tar.gz', gzipSync(tarOf([]))],
    ['data.tar.gz', data],
  ]);
  const f = await extractFileFromDeb(deb, ['./bin/busybox', './usr/bin/busybox']);
  assert.equal(f.path, './bin/busybox');
  assert.equal(f.data.toString(), 'BB');
  await assert.rejects(extractFileFromDeb(deb, ['./usr/bin/nothing']), DebFormatError);
  await assert.rejects(extractFileFromDeb(ar([['data.tar.gz', data]]), ['./bin/busybox']), /debian-binary/);
  await assert.rejects(extractFileFromDeb(Buffer.from('junk'), ['./bin/busybox']), /not a \.deb/);
});

/** An ELF header + program headers with the given p_types. */
function elf(bits: 32 | 64, le: boolean, machine: number, ptypes: number[]): Buffer {
  const ehsize = bits === 64 ? 64 : 52;
  const phentsize = bits === 64 ? 56 : 32;
  const b = Buffer.alloc(ehsize + phentsize * ptypes.length);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = bits === 64 ? 2 : 1;
  b[5] = le ? 1 : 2;
  b[6] = 1;
  const w16 = (v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const w32 = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  w16(2, 16);
  w16(machine, 18);
  if (bits === 64) {
    le ? b.writeBigUInt64LE(BigInt(ehsize), 32) : b.writeBigUInt64BE(BigInt(ehsize), 32);
    w16(phentsize, 54);
    w16(ptypes.length, 56);
  } else {
    w32(ehsize, 28);
    w16(phentsize, 42);
    w16(ptypes.length, 44);
  }
  ptypes.forEach((t, i) => {
    w32(t, ehsize + i * phentsize);
  });
  return b;
}

test('ELF: static means no PT_INTERP; arch is checked', () => {
  const PT_LOAD = 1,
    PT_INTERP = 3,
    PT_DYNAMIC = 2;
  assert.equal(isStaticElf(elf(64, true, 62, [PT_LOAD, PT_LOAD])), true);
  assert.equal(isStaticElf(elf(64, true, 62, [6, PT_INTERP, PT_LOAD, PT_DYNAMIC])), false);
  assert.equal(isStaticElf(elf(64, true, 62, [PT_LOAD, PT_DYNAMIC])), true, 'static-pie');
  assert.equal(isStaticElf(elf(64, true, 62, [PT_LOAD]), 'x64'), true);
  assert.equal(isStaticElf(elf(64, true, 62, [PT_LOAD]), 'arm64'), false);
  assert.equal(isStaticElf(elf(64, true, 183, [PT_LOAD]), 'arm64'), true);
  assert.equal(isStaticElf(elf(32, true, 40, [PT_LOAD])), true);
  assert.equal(isStaticElf(elf(32, false, 8, [PT_INTERP])), false);
  assert.equal(readElf(elf(64, false, 22, [PT_LOAD]))?.machine, 22);
  assert.equal(isStaticElf(Buffer.from('#!/bin/sh\necho hi\n')), false);
  assert.equal(isStaticElf(elf(64, true, 62, [PT_LOAD, PT_LOAD]).subarray(0, 80)), false, 'truncated phdrs');
});

test('busybox version from the banner in the binary', () => {
  assert.equal(busyboxVersion(Buffer.from('\0\0BusyBox v1.36.1 (Debian 1:1.36.1-9) multi-call binary.\0')), '1.36.1');
  assert.equal(busyboxVersion(Buffer.from('nothing')), 'unknown');
});

test('dearmor decodes an armored block', () => {
  const raw = Buffer.from([0x99, 0x01, 0x02, 0x03, 0xff]);
  const text = `-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: x\n\n${raw.toString('base64')}\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n`;
  assert.deepEqual(dearmor(text), raw);
});
