/**
 * Where a virtio-blk disk's bytes live: a raw image file (QEMU's
 * `format=raw`), read and written synchronously on its file descriptor,
 * or a buffer in memory. Synchronous I/O keeps a request's completion in
 * the same step as the driver's notify, so no completion ever arrives
 * while the vCPU runs; the host's page cache makes it cheap, and FLUSH is
 * fsync(2).
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';

export interface BlockBackend {
  /** Size in bytes. */
  readonly size: number;
  readonly readOnly: boolean;
  /** Fill `into` from byte `offset` (within `size`). */
  read(offset: number, into: Uint8Array): void;
  /** Store `data` at byte `offset` (within `size`). */
  write(offset: number, data: Uint8Array): void;
  /** Make everything written so far durable. */
  flush(): void;
  close(): void;
}

export interface FileBlockOptions {
  /** Open the image read-only (QEMU's `readonly=on`): the guest's writes fail. */
  readOnly?: boolean;
}

/** A raw disk image file. */
export class FileBlockBackend implements BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  private fd: number;

  constructor(readonly path: string, options: FileBlockOptions = {}) {
    this.readOnly = options.readOnly ?? false;
    this.fd = openSync(path, this.readOnly ? 'r' : 'r+');
    try {
      const st = fstatSync(this.fd);
      if (!st.isFile()) throw new Error(`${path} is not a regular file`);
      this.size = st.size;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  read(offset: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, offset + done);
      if (n === 0) {
        // The file shrank under us: what is missing reads as zeros, as a sparse tail would.
        into.fill(0, done);
        return;
      }
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error(`${this.path} is read-only`);
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }

  flush(): void {
    if (!this.readOnly) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** A disk held in memory (tests, images built on the fly); `bytes` is used in place. */
export class MemoryBlockBackend implements BlockBackend {
  readonly readOnly: boolean;

  constructor(readonly bytes: Uint8Array, options: { readOnly?: boolean } = {}) {
    this.readOnly = options.readOnly ?? false;
  }

  get size(): number {
    return this.bytes.length;
  }

  read(offset: number, into: Uint8Array): void {
    into.set(this.bytes.subarray(offset, offset + into.length));
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error('the disk is read-only');
    this.bytes.set(data, offset);
  }

  flush(): void {}

  close(): void {}
}
