/**
 * A minimal read-only ZIP reader, enough for PyTorch's `torch.save` archives (which store their entries
 * uncompressed, 64-byte aligned, ZIP64 when large) and for any deflated ZIP. It reads the central
 * directory once and then each entry on demand from the file descriptor, so a large checkpoint's storages
 * are read only if asked for. Every size and offset is checked against the file; every entry's CRC-32 is
 * verified. Errors are UserErrors naming the file and the entry.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';

/** The largest entry read into memory (2 GiB, above any checkpoint's largest tensor): a limit, not a guess. */
export const MAX_ENTRY_BYTES = 2 ** 31;
/** Deflate's largest expansion: 258 bytes from about 2 bits, i.e. 1032:1. */
const MAX_DEFLATE_RATIO = 1032;
import { fail } from '../util/errors.js';
import { openForReading } from '../util/fs.js';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  private readonly fd: number;
  private readonly size: number;

  constructor(readonly file: string) {
    this.fd = openForReading(file);
    try {
      this.size = fstatSync(this.fd).size;
      this.readCentralDirectory();
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** `length` bytes at `position`, or a UserError if the file is shorter. */
  private bytesAt(position: number, length: number, what: string): Buffer {
    if (position < 0 || length < 0 || position + length > this.size) {
      fail(this.file, what, `needs bytes ${position}..${position + length} but the file has ${this.size} (truncated or not a ZIP)`);
    }
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, position + got);
      if (n === 0) fail(this.file, what, 'file ended early');
      got += n;
    }
    return buf;
  }

  private readCentralDirectory(): void {
    // The end-of-central-directory record is in the last 22 + 65535 (comment) bytes.
    const tailLen = Math.min(this.size, 22 + 0xffff);
    if (this.size < 22) fail(this.file, undefined, 'too short to be a ZIP archive');
    const tail = this.bytesAt(this.size - tailLen, tailLen, 'end of central directory');
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === SIG_EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) fail(this.file, undefined, 'not a ZIP archive (no end-of-central-directory record)');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    const eocdPos = this.size - tailLen + eocd;
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      // ZIP64: a locator just before the EOCD points at the ZIP64 EOCD record.
      const loc = this.bytesAt(eocdPos - 20, 20, 'ZIP64 locator');
      if (loc.readUInt32LE(0) !== SIG_ZIP64_LOCATOR) fail(this.file, 'ZIP64 locator', 'missing');
      const rec = this.bytesAt(this.u64(loc, 8, 'ZIP64 locator'), 56, 'ZIP64 end of central directory');
      if (rec.readUInt32LE(0) !== SIG_ZIP64_EOCD) fail(this.file, 'ZIP64 end of central directory', 'bad signature');
      count = this.u64(rec, 32, 'ZIP64 entry count');
      cdSize = this.u64(rec, 40, 'ZIP64 directory size');
      cdOffset = this.u64(rec, 48, 'ZIP64 directory offset');
    }
    const cd = this.bytesAt(cdOffset, cdSize, 'central directory');
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) fail(this.file, `central directory entry ${i}`, 'bad signature or truncated');
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > cd.length) fail(this.file, `central directory entry ${i}`, 'truncated');
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      // ZIP64 extended information: only the fields whose 32-bit value is saturated, in this order.
      const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
      for (let q = 0; q + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(q);
        const len = extra.readUInt16LE(q + 2);
        if (id === 0x0001) {
          let r = q + 4;
          const next = (what: string): number => {
            if (r + 8 > q + 4 + len) fail(this.file, `entry "${name}"`, `ZIP64 extra field lacks the ${what}`);
            const v = this.u64(extra, r, `entry "${name}" ZIP64 ${what}`);
            r += 8;
            return v;
          };
          if (uncompressedSize === 0xffffffff) uncompressedSize = next('uncompressed size');
          if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = next('local header offset');
        }
        q += 4 + len;
      }
      if (flags & 1) fail(this.file, `entry "${name}"`, 'is encrypted');
      if (method !== 0 && method !== 8) fail(this.file, `entry "${name}"`, `compression method ${method} is not supported (only stored and deflate)`);
      if (method === 0 && compressedSize !== uncompressedSize) fail(this.file, `entry "${name}"`, 'stored entry with different compressed and uncompressed sizes');
      this.entries.set(name, { name, method, compressedSize, uncompressedSize, crc32: crc, localHeaderOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  private u64(buf: Buffer, offset: number, what: string): number {
    const v = buf.readBigUInt64LE(offset);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(this.file, what, `value ${v} is too large`);
    return Number(v);
  }

  /**
   * The uncompressed bytes of an entry, CRC-checked. Sizes are checked before anything is allocated: the
   * declared size against `limit` and against what deflate can produce from the compressed bytes (at most
   * 1032:1), and inflating stops at the declared size, so a zip bomb is refused without using its memory.
   */
  read(name: string, limit = MAX_ENTRY_BYTES): Uint8Array {
    const e = this.entries.get(name);
    if (!e) fail(this.file, undefined, `has no entry "${name}"`);
    if (e.uncompressedSize > limit) fail(this.file, `entry "${name}"`, `${e.uncompressedSize} bytes uncompressed is over the ${limit}-byte limit`);
    if (e.method === 8 && e.uncompressedSize > e.compressedSize * MAX_DEFLATE_RATIO + 1024) {
      fail(this.file, `entry "${name}"`, `declares ${e.uncompressedSize} bytes from ${e.compressedSize} compressed, more than deflate can produce (corrupt or a zip bomb)`);
    }
    const local = this.bytesAt(e.localHeaderOffset, 30, `entry "${name}" local header`);
    if (local.readUInt32LE(0) !== SIG_LOCAL) fail(this.file, `entry "${name}"`, 'bad local header signature');
    // The local header's name and extra lengths may differ from the central directory's (torch pads the
    // local extra field to align the data), so the data offset comes from the local header.
    const start = e.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const raw = this.bytesAt(start, e.compressedSize, `entry "${name}" data`);
    let data: Uint8Array = raw;
    if (e.method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.uncompressedSize) });
      } catch (err) {
        fail(this.file, `entry "${name}"`, `cannot inflate: ${(err as Error).message}`);
      }
      if (data.length !== e.uncompressedSize) fail(this.file, `entry "${name}"`, `inflated to ${data.length} bytes, expected ${e.uncompressedSize}`);
    }
    // PyTorch >= 2.4 can be told to skip checksums (`set_crc32_options(False)`), writing 0: accept that.
    const crc = crc32(data) >>> 0;
    if (e.crc32 !== 0 && crc !== e.crc32) fail(this.file, `entry "${name}"`, `CRC-32 mismatch (${crc.toString(16)} != ${e.crc32.toString(16)}): the file is corrupt`);
    return data;
  }
}
