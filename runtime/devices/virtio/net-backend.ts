/**
 * Network backends for virtio-net: where transmitted Ethernet frames go
 * and where received ones wait until the guest has buffers for them.
 *
 * - `SocketNetBackend` is QEMU's `-netdev socket` over TCP: `listen=` waits
 *   for one peer (and for the next when it leaves), `connect=` dials one
 *   once (no reconnection); each frame travels as a 4-byte
 *   big-endian length followed by the frame (net/socket.c), so a wasmvisor
 *   guest can talk to another one or to a QEMU guest.
 * - `createNetPair()` links two backends in memory (two guests in one
 *   process, tests).
 *
 * Received frames arrive from Node's event loop. They are only queued
 * (`inbox`, bounded: the oldest waiting frames are kept, later ones are
 * dropped as a full NIC FIFO drops them); the device takes them in its
 * `poll()`, which the machine's run loop calls between time slices. So a
 * machine running guest code in a synchronous loop must let the event
 * loop run (await a macrotask such as setImmediate) between slices for
 * sockets to make progress at all, and can use `inbox.onFrame` to wake a
 * vCPU halted with nothing else to do.
 */
import { type AddressInfo, type Server, type Socket, createConnection, createServer } from 'node:net';

/** Frames waiting for the guest, oldest first. */
export class FrameQueue {
  private readonly frames: Uint8Array[] = [];
  /** Frames dropped because the queue was full. */
  dropped = 0;
  /** Called after a frame is queued (the machine may use it to wake the vCPU and poll). */
  onFrame: (() => void) | null = null;

  constructor(readonly limit = 1024) {}

  get length(): number {
    return this.frames.length;
  }

  push(frame: Uint8Array): void {
    if (this.frames.length >= this.limit) {
      this.dropped++;
      return;
    }
    this.frames.push(frame);
    this.onFrame?.();
  }

  peek(): Uint8Array | undefined {
    return this.frames[0];
  }

  shift(): Uint8Array | undefined {
    return this.frames.shift();
  }

  clear(): void {
    this.frames.length = 0;
  }
}

export interface NetBackend {
  /** Send one Ethernet frame (the backend copies it if it keeps it). */
  send(frame: Uint8Array): void;
  /** Frames received for the guest. */
  readonly inbox: FrameQueue;
  /** Stop: sockets closed, nothing more is received. */
  close(): Promise<void>;
}

/** Two backends joined back to back: what one sends, the other receives. */
export function createNetPair(limit?: number): [NetBackend, NetBackend] {
  const make = (): { inbox: FrameQueue; peer: FrameQueue | null; closed: boolean } => ({ inbox: new FrameQueue(limit), peer: null, closed: false });
  const a = make();
  const b = make();
  a.peer = b.inbox;
  b.peer = a.inbox;
  const backend = (s: typeof a): NetBackend => ({
    inbox: s.inbox,
    send: (frame) => {
      if (!s.closed) s.peer!.push(frame.slice());
    },
    close: async () => {
      s.closed = true;
    },
  });
  return [backend(a), backend(b)];
}

/** QEMU's limit on a socket netdev frame (NET_BUFSIZE): larger lengths mean a broken stream. */
export const MAX_SOCKET_FRAME = 4096 + 65536;
/** Bytes the socket may hold unsent before frames are dropped instead of queued. */
const SEND_BUFFER_LIMIT = 4 << 20;

export type SocketNetMode = { listen: { host: string; port: number } } | { connect: { host: string; port: number } };

export interface SocketNetOptions {
  /** Frames the inbox holds at most (default 1024). */
  inboxLimit?: number;
  /** Connection events and errors, for people (QEMU prints these on stderr). */
  onEvent?: (message: string) => void;
}

/** QEMU's `-netdev socket,listen=host:port` or `connect=host:port` over TCP. */
export class SocketNetBackend implements NetBackend {
  readonly inbox: FrameQueue;
  /** Resolves once listening (`listen`; then `address()` is known) or connected (`connect`); rejects if that fails. */
  readonly ready: Promise<void>;
  /** Frames dropped on the way out (no peer, or the peer does not keep up). */
  sendDropped = 0;
  private server: Server | null = null;
  private socket: Socket | null = null;
  private pending = Buffer.alloc(0);
  private closed = false;
  private readonly onEvent: (message: string) => void;

  constructor(mode: SocketNetMode, options: SocketNetOptions = {}) {
    this.inbox = new FrameQueue(options.inboxLimit);
    this.onEvent = options.onEvent ?? (() => {});
    if ('listen' in mode) {
      const { host, port } = mode.listen;
      const server = createServer((s) => this.accept(s));
      this.server = server;
      this.ready = new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          server.on('error', (e) => this.onEvent(`netdev socket: ${e.message}`));
          resolve();
        });
      });
    } else {
      const { host, port } = mode.connect;
      const socket = createConnection({ host, port });
      this.ready = new Promise((resolve, reject) => {
        socket.once('error', reject);
        socket.once('connect', () => {
          socket.off('error', reject);
          this.use(socket);
          resolve();
        });
      });
    }
    // Whoever does not await `ready` still hears of a failure through onEvent, and Node sees it handled.
    this.ready.catch((e: Error) => this.onEvent(`netdev socket: ${e.message}`));
  }

  /** The listening address (listen mode, once `ready`). */
  address(): AddressInfo {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error('the socket netdev is not listening');
    return a;
  }

  /** Whether a peer is connected now. */
  get connected(): boolean {
    return this.socket !== null;
  }

  send(frame: Uint8Array): void {
    const s = this.socket;
    if (!s || s.writableLength > SEND_BUFFER_LIMIT) {
      this.sendDropped++;
      return;
    }
    const out = Buffer.allocUnsafe(4 + frame.length);
    out.writeUInt32BE(frame.length, 0);
    out.set(frame, 4);
    s.write(out);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.socket?.destroy();
    this.socket = null;
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A peer dialled in: one is served at a time (as QEMU does); others are closed at once. */
  private accept(socket: Socket): void {
    if (this.socket || this.closed) {
      socket.destroy();
      return;
    }
    this.onEvent(`netdev socket: connection from ${socket.remoteAddress}:${socket.remotePort}`);
    this.use(socket);
  }

  private use(socket: Socket): void {
    this.socket = socket;
    this.pending = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(socket, chunk));
    socket.on('error', (e) => this.onEvent(`netdev socket: ${e.message}`));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onEvent('netdev socket: peer disconnected');
    });
  }

  /** Split the stream into frames. */
  private received(socket: Socket, chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (len > MAX_SOCKET_FRAME) {
        this.onEvent(`netdev socket: frame of ${len} bytes; closing the connection`);
        socket.destroy();
        this.pending = Buffer.alloc(0);
        return;
      }
      if (buf.length < 4 + len) break;
      if (len > 0) this.inbox.push(new Uint8Array(buf.subarray(4, 4 + len)));
      buf = buf.subarray(4 + len);
    }
    this.pending = Buffer.from(buf);
  }
}

/**
 * QEMU's `host:port` (an empty host listens on every address and connects
 * to this machine).
 */
export function parseHostPort(spec: string, mode: 'listen' | 'connect'): { host: string; port: number } {
  const colon = spec.lastIndexOf(':');
  if (colon < 0) throw new Error(`'${spec}' is not host:port`);
  const port = Number(spec.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`'${spec}' has no valid port`);
  let host = spec.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  if (host === '') host = mode === 'listen' ? '0.0.0.0' : '127.0.0.1';
  return { host, port };
}

/** The backend for `-netdev socket,listen=...` or `-netdev socket,connect=...` (exactly one of them). */
export function socketNetBackend(options: { listen?: string; connect?: string } & SocketNetOptions): SocketNetBackend {
  const { listen, connect } = options;
  if ((listen === undefined) === (connect === undefined)) throw new Error('-netdev socket needs exactly one of listen= and connect=');
  const mode: SocketNetMode = listen !== undefined ? { listen: parseHostPort(listen, 'listen') } : { connect: parseHostPort(connect!, 'connect') };
  return new SocketNetBackend(mode, options);
}
