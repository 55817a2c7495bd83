/**
 * A TCP proxy in front of a broker port or the replication link, with faults per direction that
 * change live (in the manner of Toxiproxy): added latency with jitter, a blackhole, a bandwidth limit,
 * and a reset of every open connection. upstream = client → target, downstream = target → client.
 *
 * A blackhole is a partition as TCP lives it: nothing gets through, the connection stays open, and
 * what was sent is held (TCP would keep retransmitting it) and delivered in order once the partition
 * heals — unless an endpoint gives up first (RocketMQ's HA housekeeping closes a link silent for 20 s)
 * or more than MAX_HELD_BYTES pile up, when the connection is reset as TCP would time out.
 *
 * Latency and bandwidth shape a link the way a distance does (a slave in another zone): each chunk
 * waits for the link to be free, takes length / bandwidth to go out, then latencyMs (+ up to
 * jitterMs) to arrive; order is kept. When either end closes, whatever the link still held is
 * dropped with it: a master that dies takes its unsent bytes along (a lost machine's socket buffer),
 * which is what an ASYNC_MASTER's replication lag is made of.
 */
import net from 'node:net';
import { splitAddress } from '../../broker/remoting/remoting-client';
import { listenOn } from '../../broker/io/transport';

export type Direction = 'upstream' | 'downstream';

export interface LinkFaults {
  latencyMs: number;
  jitterMs: number;
  blackhole: boolean;
  /** bytes per second; 0 = unlimited */
  bandwidthBytesPerSec: number;
}

export const NO_FAULTS: LinkFaults = { latencyMs: 0, jitterMs: 0, blackhole: false, bandwidthBytesPerSec: 0 };

export interface FaultProxyStats {
  connections: number;
  bytes: Record<Direction, number>;
  /** bytes held by a blackhole now, not yet delivered */
  heldBytes: Record<Direction, number>;
}

/** Past this many held bytes in one direction of one connection the connection is reset. */
export const MAX_HELD_BYTES = 64 * 1024 * 1024;

/** One direction of one connection: chunks leave in order, each no earlier than its due time. */
class Pipe {
  private queue: { chunk: Buffer; dueMs: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private nextFreeMs = 0;
  heldBytes = 0;

  constructor(
    private readonly to: net.Socket,
    private readonly faults: () => LinkFaults,
    private readonly onBytes: (n: number) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    const f = this.faults();
    const now = Date.now();
    // A shaped link: the chunk waits for the link to be free, takes length / bandwidth to go out
    // (serialization), then travels latencyMs (+ jitter) like every other chunk.
    let sent = now;
    if (f.bandwidthBytesPerSec > 0) {
      sent = Math.max(now, this.nextFreeMs) + (chunk.length / f.bandwidthBytesPerSec) * 1000;
      this.nextFreeMs = sent;
    }
    let due = sent + f.latencyMs + (f.jitterMs > 0 ? Math.random() * f.jitterMs : 0);
    // Order is kept: a chunk never overtakes the one before it, whatever the jitter.
    const last = this.queue.at(-1);
    if (last && due < last.dueMs) due = last.dueMs;
    this.queue.push({ chunk, dueMs: due });
    this.drain();
  }

  /** Delivers what is due; while blackholed, holds everything. Called again when the faults change. */
  drain(): void {
    if (this.timer) return;
    if (this.faults().blackhole) {
      this.heldBytes = this.queue.reduce((n, q) => n + q.chunk.length, 0);
      if (this.heldBytes > MAX_HELD_BYTES) this.onOverflow();
      return;
    }
    this.heldBytes = 0;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0].dueMs <= now) {
      const { chunk } = this.queue.shift()!;
      if (this.to.destroyed) return;
      this.to.write(chunk);
      this.onBytes(chunk.length);
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, Math.max(1, this.queue[0].dueMs - now));
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.queue = [];
    this.heldBytes = 0;
  }
}

export class FaultProxy {
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly connections = new Set<{ client: net.Socket; upstream: net.Socket; pipes: Record<Direction, Pipe> }>();
  private readonly faults: Record<Direction, LinkFaults> = { upstream: { ...NO_FAULTS }, downstream: { ...NO_FAULTS } };
  private readonly counters = { connections: 0, bytes: { upstream: 0, downstream: 0 } };
  port = 0;

  constructor(readonly name: string, private target: string) {}

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    this.port = await listenOn(this.server, port, host);
    return this.port;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  setTarget(target: string): void {
    this.target = target;
  }

  getFaults(): Record<Direction, LinkFaults> {
    return { upstream: { ...this.faults.upstream }, downstream: { ...this.faults.downstream } };
  }

  setFaults(direction: Direction | 'both', faults: Partial<LinkFaults>): void {
    for (const d of direction === 'both' ? (['upstream', 'downstream'] as const) : [direction]) {
      this.faults[d] = { ...this.faults[d], ...faults };
    }
    this.drainAll();
  }

  clearFaults(): void {
    this.faults.upstream = { ...NO_FAULTS };
    this.faults.downstream = { ...NO_FAULTS };
    this.drainAll();
  }

  /** A healed partition delivers what it held. */
  private drainAll(): void {
    for (const { pipes } of this.connections) {
      pipes.upstream.drain();
      pipes.downstream.drain();
    }
  }

  /** Ends every open connection with a TCP reset, as a crashed middlebox would; bytes held by a blackhole are dropped. */
  resetConnections(): void {
    for (const { client, upstream, pipes } of this.connections) {
      pipes.upstream.close();
      pipes.downstream.close();
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.connections.clear();
  }

  stats(): FaultProxyStats {
    const heldBytes = { upstream: 0, downstream: 0 };
    for (const { pipes } of this.connections) {
      heldBytes.upstream += pipes.upstream.heldBytes;
      heldBytes.downstream += pipes.downstream.heldBytes;
    }
    return { connections: this.connections.size, bytes: { ...this.counters.bytes }, heldBytes };
  }

  async close(): Promise<void> {
    this.resetConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const [host, port] = splitAddress(this.target);
    const upstream = net.connect({ host, port });
    const count = (d: Direction) => (n: number) => {
      this.counters.bytes[d] += n;
    };
    const reset = () => {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    const up = new Pipe(upstream, () => this.faults.upstream, count('upstream'), reset);
    const down = new Pipe(client, () => this.faults.downstream, count('downstream'), reset);
    const pair = { client, upstream, pipes: { upstream: up, downstream: down } };
    this.connections.add(pair);
    this.counters.connections++;
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk) => up.push(chunk));
    upstream.on('data', (chunk) => down.push(chunk));
    const close = () => {
      up.close();
      down.close();
      client.destroy();
      upstream.destroy();
      this.connections.delete(pair);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }
}
