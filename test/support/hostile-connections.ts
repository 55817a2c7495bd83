/**
 * Connections that hold a remoting listener without ever finishing a request: the idle socket, the
 * slowloris that trickles one frame a byte at a time, the half-sent frame that parks megabytes, and
 * the flood of connections. Each resolves with what the listener did to it and when. Shared by the
 * fuzz test (test/integration/fuzz-broker.test.ts) and `npm run attack` (test/attack/attack.ts).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { MAX_FRAME_LENGTH, RequestCode } from '../../broker/protocol/codes';
import { createRequest, encodeCommand } from '../../broker/protocol/remoting-command';

export interface HeldConnection {
  /** the listener closed it (false: it was still open when we gave up and closed it) */
  closedByPeer: boolean;
  /** milliseconds from connect to the close */
  afterMs: number;
  /** bytes we managed to write */
  written: number;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The 4-byte length prefix of a frame announcing `length` bytes after it. */
export function framePrefix(length: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(length, 0);
  return prefix;
}

/**
 * Connects and runs `feed` (which writes what it wants and returns a stop function), until the
 * listener closes the connection or `giveUpMs` passes.
 */
async function hold(port: number, giveUpMs: number, feed: (socket: net.Socket, wrote: (n: number) => void) => () => void): Promise<HeldConnection> {
  const socket = await connect(port);
  socket.on('error', () => {});
  socket.resume();
  const start = performance.now();
  let written = 0;
  let ours = false;
  const stop = feed(socket, (n) => {
    written += n;
  });
  const timer = setTimeout(() => {
    ours = true;
    socket.destroy();
  }, giveUpMs);
  await new Promise((r) => socket.once('close', r));
  clearTimeout(timer);
  stop();
  return { closedByPeer: !ours, afterMs: performance.now() - start, written };
}

/** Connects and sends nothing. */
export function idleConnection(port: number, giveUpMs: number): Promise<HeldConnection> {
  return hold(port, giveUpMs, () => () => {});
}

/**
 * Announces a frame of 100,000 bytes with a JSON header of 50,000 and sends one byte of the header
 * (a space) every `everyMs`: nothing the decoder can refuse before the header is whole.
 */
export function slowloris(port: number, giveUpMs: number, everyMs = 100): Promise<HeldConnection> {
  return hold(port, giveUpMs, (socket, wrote) => {
    const headerLength = Buffer.alloc(4);
    headerLength.writeUInt32BE(50_000, 0); // serialization type 0 (JSON) in the top byte
    socket.write(Buffer.concat([framePrefix(100_000), headerLength]));
    wrote(8);
    const timer = setInterval(() => {
      if (socket.writable) socket.write(Buffer.from([0x20]));
      wrote(1);
    }, everyMs);
    return () => clearInterval(timer);
  });
}

/** A connection holding `bytes` of a frame that announced 16 MiB, never sending the rest. */
export interface HalfFrame {
  /** resolves once the listener closes it, or at close() */
  readonly closed: Promise<HeldConnection>;
  close(): void;
}

let wholeFrame: Buffer | undefined;

export async function halfFrame(port: number, bytes: number): Promise<HalfFrame> {
  const socket = await connect(port);
  socket.on('error', () => {});
  socket.resume();
  const start = performance.now();
  let ours = false;
  const closed = new Promise<HeldConnection>((resolve) => socket.once('close', () => resolve({ closedByPeer: !ours, afterMs: performance.now() - start, written: bytes })));
  // a well-formed request whose body would fill a frame of just under 16 MiB, cut after `bytes`
  wholeFrame ??= encodeCommand(createRequest(RequestCode.GET_BROKER_CONFIG, {}, Buffer.alloc(MAX_FRAME_LENGTH - 4096)));
  socket.write(wholeFrame.subarray(0, Math.min(bytes, wholeFrame.length - 1)));
  await new Promise<void>((resolve) => (socket.writableLength === 0 ? resolve() : socket.once('drain', () => resolve())));
  return {
    closed,
    close() {
      ours = true;
      socket.destroy();
    },
  };
}

/** Opens `count` connections at once; counts those the listener closed within `settleMs` without a byte from us. */
export async function connectionFlood(port: number, count: number, settleMs = 500): Promise<{ opened: number; closedByPeer: number; close(): void }> {
  const sockets: net.Socket[] = [];
  let closedByPeer = 0;
  let ours = false;
  await Promise.all(Array.from({ length: count }, async () => {
    try {
      const socket = await connect(port);
      socket.on('error', () => {});
      socket.once('close', () => {
        if (!ours) closedByPeer++;
      });
      sockets.push(socket);
    } catch {
      closedByPeer++;
    }
  }));
  await new Promise((r) => setTimeout(r, settleMs));
  return {
    opened: sockets.length,
    closedByPeer,
    close() {
      ours = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}
