/**
 * Sockets go through this interface: listening, dialling, and the few things the broker does with a
 * connection. broker/ imports node:net nowhere else (test/unit/tidy.test.ts, rule d), so the same
 * broker code can later run on a simulated in-memory network driven by a seeded scheduler
 * (docs/architecture.md#nondeterminism-behind-interfaces).
 *
 * realTransport, below, is the real implementation over node:net. Objects that own listeners or
 * clients (BrokerController, NamesrvController, the client instance) take a Transport and hand it
 * down; the remoting and HA classes default to realTransport, as they default to systemClock.
 */
import net from 'node:net';

/** The events of a Connection and their listeners. */
export interface ConnectionEvents {
  /** bytes arrived, in order */
  data: (chunk: Buffer) => void;
  /** a dialled connection is established (what was written before it is sent now) */
  connect: () => void;
  /** the write buffer emptied after a write returned false */
  drain: () => void;
  /** the connection failed (refused, reset); 'close' follows */
  error: (error: Error) => void;
  /** the connection is closed, by either side or by a failure; the last event */
  close: () => void;
}

/** One connection, accepted or dialled. Nagle's algorithm is off: the broker's frames are latency-bound. */
export interface Connection {
  /** the peer, for logs and the client registry; undefined when the connection is already gone */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** destroyed, failed, or closed by both sides: nothing more is read or written */
  readonly destroyed: boolean;
  /** writes are still taken: false once either side ended the connection */
  readonly writable: boolean;
  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): void;
  /**
   * Queues `data`; false when the write buffer is over its high-water mark (wait for 'drain'). The
   * connection takes `data` as it is: the caller does not change it afterwards (a socket may send it
   * later, and the simulated network delivers it later).
   */
  write(data: Buffer): boolean;
  /**
   * As write, for a frame that others may follow in this turn (the answers to one chunk of requests,
   * the requests a producer issues together): the real transport sends them in few syscalls; an
   * in-memory one may write at once.
   */
  writeBatched(frame: Buffer): boolean;
  /** Stops 'data' until resume: backpressure on a peer that sends and never reads. */
  pause(): void;
  resume(): void;
  /** Closes once what was written has been sent, without waiting for the peer to end its side. */
  end(): void;
  /** Closes at once; what was not sent yet is dropped. */
  destroy(): void;
}

export interface Listener {
  /** the port bound (the one asked for, or a free one when 0 was asked) */
  readonly port: number;
  /** Stops accepting; resolves once every connection it accepted is closed too (the caller closes them). */
  close(): Promise<void>;
}

export interface Transport {
  /**
   * Listens on host:port (port 0: a free one). A bind error (EADDRINUSE, EACCES) rejects, with the
   * error's code, instead of being thrown at the process.
   */
  listen(options: { host: string; port: number }, onConnection: (connection: Connection) => void): Promise<Listener>;
  /** Dials host:port; the connection says 'connect', or 'error' then 'close'. Timeouts are the caller's (on its clock). */
  connect(options: { host: string; port: number }): Connection;
}

/**
 * Frames sent under one cork at most: past it they leave, so the peer starts on them while the rest
 * is built. One write for a whole window of 64 made the producer and the broker take turns (each
 * about 58% busy, 33k msg/s); 16 lets them overlap (about 80% busy, 44k msg/s; docs/benchmarks.md).
 */
const FRAMES_PER_CORK = 16;

class NetConnection implements Connection {
  /** frames written under the current cork */
  private corkedFrames = 0;

  constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  get writable(): boolean {
    return this.socket.writable;
  }

  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): void {
    this.socket.on(event, listener as (...args: unknown[]) => void);
  }

  write(data: Buffer): boolean {
    return this.socket.write(data);
  }

  /**
   * The socket is corked at the first frame and uncorked once the current callback and the promise
   * jobs it started have run, so the frames that become ready together leave in few syscalls.
   */
  writeBatched(frame: Buffer): boolean {
    const socket = this.socket;
    if (socket.writableCorked === 0) {
      socket.cork();
      this.corkedFrames = 0;
      process.nextTick(() => {
        if (socket.writableCorked > 0) socket.uncork();
      });
    }
    const written = socket.write(frame);
    if (++this.corkedFrames >= FRAMES_PER_CORK) {
      socket.uncork();
      socket.cork();
      this.corkedFrames = 0;
    }
    return written;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.end();
    // destroySoon: destroyed once the end is flushed, not when the peer answers with its own.
    this.socket.destroySoon();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * Starts `server` listening on host:port (port 0: a free one) and resolves with the port it got; a
 * bind error (EADDRINUSE, EACCES) rejects instead of being thrown at the process. Every listener of
 * the project binds through here: realTransport's, the fault proxies, the dashboard.
 */
export function listenOn(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

export const realTransport: Transport = {
  async listen({ host, port }, onConnection) {
    const server = net.createServer((socket) => onConnection(new NetConnection(socket)));
    const bound = await listenOn(server, port, host);
    return {
      port: bound,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  },
  connect: ({ host, port }) => new NetConnection(net.connect({ host, port })),
};
