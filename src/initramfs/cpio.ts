/**
 * The "newc" (SVR4, magic 070701) cpio format, which the Linux kernel
 * unpacks into its rootfs as an initramfs (Documentation/driver-api/
 * early-userspace/buffer-format.rst). Each entry is a 110-byte ASCII
 * header of thirteen 8-digit hex fields, the name with its NUL padded to a
 * multiple of 4 bytes (counting the header), then the data padded to 4.
 * The archive ends with an entry named TRAILER!!!.
 *
 * The writer keeps what the kernel's unpacker relies on: a directory comes
 * before anything inside it (parents are added on demand), every inode
 * number is distinct (the unpacker treats regular files with nlink >= 2
 * and equal inode numbers as hard links), and device nodes carry their
 * numbers in rdevmajor/rdevminor. Names are stored relative ("bin/sh"),
 * as gen_init_cpio and GNU cpio write them. The reader exists to check
 * archives (ours and others'); it accepts 070702 (with checksums) too but
 * does not verify the checksum.
 */

/** File-type bits of st_mode (POSIX <sys/stat.h>). */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

const MAGIC = '070701';
const MAGIC_CRC = '070702';
const HEADER_BYTES = 110;
export const TRAILER_NAME = 'TRAILER!!!';

export type CpioEntryType = 'directory' | 'file' | 'symlink' | 'char-device' | 'block-device';

/** One archive member, as written or as read back. */
export interface CpioEntry {
  /** Relative path, '/'-separated, no leading slash. */
  name: string;
  type: CpioEntryType;
  /** Permission bits (the low 12 bits of st_mode: rwx plus setuid/setgid/sticky). */
  permissions: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** File contents; a symlink's target; empty for directories and devices. */
  data: Uint8Array;
  /** Device number of a char or block device node. */
  rdevMajor: number;
  rdevMinor: number;
  ino: number;
  nlink: number;
}

export interface EntryOptions {
  /** Permission bits; the defaults are 0755 for directories, 0644 for files, 0777 for symlinks, 0600 for devices. */
  permissions?: number;
  uid?: number;
  gid?: number;
  /** Overrides the archive's mtime for this entry. */
  mtime?: number;
}

const TYPE_BITS: Record<CpioEntryType, number> = {
  directory: S_IFDIR,
  file: S_IFREG,
  symlink: S_IFLNK,
  'char-device': S_IFCHR,
  'block-device': S_IFBLK,
};

const encoder = new TextEncoder();

/**
 * Canonical member name: no leading or doubled slashes, no '.' or '..'
 * components (the kernel's unpacker does not resolve them and a '..'
 * would climb out of the tree when GNU cpio extracts).
 */
export function normalizeCpioPath(path: string): string {
  const parts = path.split('/').filter((p) => p.length > 0);
  if (parts.length === 0) throw new Error(`cpio: empty path '${path}'`);
  for (const p of parts) {
    if (p === '.' || p === '..') throw new Error(`cpio: path '${path}' has a '${p}' component`);
    if (p.includes('\0')) throw new Error(`cpio: path '${path}' contains a NUL`);
  }
  return parts.join('/');
}

/** An archive being built: entries in the order they are added (parents first). */
export class NewcArchive {
  private readonly entries: CpioEntry[] = [];
  private readonly byName = new Map<string, CpioEntry>();
  private nextIno = 1;

  /** `mtime` is stamped on every entry (fixed by default, so that equal inputs give equal archives). */
  constructor(private readonly mtime = 0) {}

  has(path: string): boolean {
    return this.byName.has(normalizeCpioPath(path));
  }

  get(path: string): CpioEntry | undefined {
    return this.byName.get(normalizeCpioPath(path));
  }

  /** A directory; adding one that exists already is allowed and keeps the first. */
  directory(path: string, options: EntryOptions = {}): this {
    const name = normalizeCpioPath(path);
    const existing = this.byName.get(name);
    if (existing) {
      if (existing.type !== 'directory') throw new Error(`cpio: '${name}' exists and is not a directory`);
      return this;
    }
    this.add(name, 'directory', new Uint8Array(0), options, 0o755);
    return this;
  }

  file(path: string, data: Uint8Array | string, options: EntryOptions = {}): this {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    this.add(normalizeCpioPath(path), 'file', bytes, options, 0o644);
    return this;
  }

  /** A symbolic link; the target is stored as the entry's data, as the format requires. */
  symlink(path: string, target: string, options: EntryOptions = {}): this {
    if (target.length === 0) throw new Error(`cpio: symlink '${path}' has an empty target`);
    this.add(normalizeCpioPath(path), 'symlink', encoder.encode(target), options, 0o777);
    return this;
  }

  characterDevice(path: string, major: number, minor: number, options: EntryOptions = {}): this {
    this.add(normalizeCpioPath(path), 'char-device', new Uint8Array(0), options, 0o600, major, minor);
    return this;
  }

  blockDevice(path: string, major: number, minor: number, options: EntryOptions = {}): this {
    this.add(normalizeCpioPath(path), 'block-device', new Uint8Array(0), options, 0o600, major, minor);
    return this;
  }

  /** The entries so far, in archive order. */
  list(): readonly CpioEntry[] {
    return this.entries;
  }

  /** The archive bytes, trailer included. */
  toBytes(): Uint8Array {
    return writeNewc(this.entries);
  }

  private add(name: string, type: CpioEntryType, data: Uint8Array, o: EntryOptions, defaultPerm: number, major = 0, minor = 0): void {
    if (this.byName.has(name)) throw new Error(`cpio: '${name}' is already in the archive`);
    const slash = name.lastIndexOf('/');
    if (slash > 0) this.directory(name.slice(0, slash));
    const permissions = o.permissions ?? defaultPerm;
    if ((permissions & ~0o7777) !== 0) throw new Error(`cpio: '${name}': permissions ${permissions.toString(8)} have bits outside 07777`);
    const entry: CpioEntry = {
      name,
      type,
      permissions,
      uid: o.uid ?? 0,
      gid: o.gid ?? 0,
      mtime: o.mtime ?? this.mtime,
      data,
      rdevMajor: major,
      rdevMinor: minor,
      ino: this.nextIno++,
      // A directory's own "." and its entry in its parent.
      nlink: type === 'directory' ? 2 : 1,
    };
    this.entries.push(entry);
    this.byName.set(name, entry);
  }
}

const pad4 = (n: number): number => (4 - (n & 3)) & 3;

function hex8(value: number, field: string, name: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`cpio: '${name}': ${field} ${value} does not fit the format's 32-bit field`);
  }
  return value.toString(16).padStart(8, '0');
}

function header(e: Pick<CpioEntry, 'ino' | 'uid' | 'gid' | 'nlink' | 'mtime' | 'rdevMajor' | 'rdevMinor'>, mode: number, fileSize: number, nameBytes: number, name: string): string {
  // c_devmajor/c_devminor name the filesystem the file came from; a
  // synthetic archive has none, and the kernel only compares them (with
  // ino) to find hard links, which we never write.
  return MAGIC +
    hex8(e.ino, 'inode', name) + hex8(mode, 'mode', name) + hex8(e.uid, 'uid', name) + hex8(e.gid, 'gid', name) +
    hex8(e.nlink, 'nlink', name) + hex8(e.mtime, 'mtime', name) + hex8(fileSize, 'file size', name) +
    hex8(0, 'devmajor', name) + hex8(0, 'devminor', name) +
    hex8(e.rdevMajor, 'rdevmajor', name) + hex8(e.rdevMinor, 'rdevminor', name) +
    hex8(nameBytes, 'name size', name) + hex8(0, 'check', name);
}

/** Serialise entries (in the given order) and the trailer. */
export function writeNewc(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (b: Uint8Array): void => {
    chunks.push(b);
    total += b.length;
  };
  const member = (e: Pick<CpioEntry, 'ino' | 'uid' | 'gid' | 'nlink' | 'mtime' | 'rdevMajor' | 'rdevMinor'>, mode: number, name: string, data: Uint8Array): void => {
    const nameBytes = encoder.encode(name);
    const namesize = nameBytes.length + 1;
    push(encoder.encode(header(e, mode, data.length, namesize, name)));
    const nameField = new Uint8Array(namesize + pad4(HEADER_BYTES + namesize));
    nameField.set(nameBytes);
    push(nameField);
    if (data.length > 0) {
      push(data);
      const p = pad4(data.length);
      if (p) push(new Uint8Array(p));
    }
  };
  for (const e of entries) {
    if (e.type !== 'file' && e.type !== 'symlink' && e.data.length !== 0) {
      throw new Error(`cpio: '${e.name}' is a ${e.type} and cannot carry data`);
    }
    member(e, TYPE_BITS[e.type] | e.permissions, e.name, e.data);
  }
  member({ ino: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, rdevMajor: 0, rdevMinor: 0 }, 0, TRAILER_NAME, new Uint8Array(0));
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const decoder = new TextDecoder();

function typeOfMode(mode: number, name: string): CpioEntryType {
  switch (mode & S_IFMT) {
    case S_IFDIR: return 'directory';
    case S_IFREG: return 'file';
    case S_IFLNK: return 'symlink';
    case S_IFCHR: return 'char-device';
    case S_IFBLK: return 'block-device';
    default: throw new Error(`cpio: '${name}' has file type ${(mode & S_IFMT).toString(8)}, which this reader does not know`);
  }
}

/**
 * Parse a newc archive up to its trailer. Zero padding between
 * concatenated archives (which the kernel allows) is skipped; anything
 * else malformed throws with the offset where it was found.
 */
export function readNewc(bytes: Uint8Array): CpioEntry[] {
  const out: CpioEntry[] = [];
  let at = 0;
  const field = (i: number): number => {
    const s = decoder.decode(bytes.subarray(at + 6 + 8 * i, at + 14 + 8 * i));
    if (!/^[0-9a-fA-F]{8}$/.test(s)) throw new Error(`cpio: bad header field ${i} at offset ${at}`);
    return parseInt(s, 16);
  };
  for (;;) {
    while (at < bytes.length && bytes[at] === 0) at++;
    if (at + HEADER_BYTES > bytes.length) throw new Error(`cpio: archive ends at offset ${at} without a trailer`);
    const magic = decoder.decode(bytes.subarray(at, at + 6));
    if (magic !== MAGIC && magic !== MAGIC_CRC) throw new Error(`cpio: bad magic '${magic}' at offset ${at}`);
    const [ino, mode, uid, gid, nlink, mtime, fileSize, , , rdevMajor, rdevMinor, nameSize] =
      Array.from({ length: 12 }, (_, i) => field(i)) as [number, number, number, number, number, number, number, number, number, number, number, number];
    const nameStart = at + HEADER_BYTES;
    if (nameSize === 0 || nameStart + nameSize > bytes.length) throw new Error(`cpio: bad name size at offset ${at}`);
    const name = decoder.decode(bytes.subarray(nameStart, nameStart + nameSize - 1));
    const dataStart = nameStart + nameSize + pad4(HEADER_BYTES + nameSize);
    if (dataStart + fileSize > bytes.length) throw new Error(`cpio: '${name}' runs past the end of the archive`);
    at = dataStart + fileSize + pad4(fileSize);
    if (name === TRAILER_NAME) return out;
    out.push({
      name,
      type: typeOfMode(mode, name),
      permissions: mode & 0o7777,
      uid, gid, mtime, ino, nlink, rdevMajor, rdevMinor,
      data: bytes.slice(dataStart, dataStart + fileSize),
    });
  }
}
