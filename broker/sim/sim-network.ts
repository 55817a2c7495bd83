/**
 * The simulator's network: the Transport interface (broker/io/transport.ts) over in-memory links,
 * every delivery an event on the SimClock. Each simulated node dials and listens through its own
 * endpoint (`network.endpoint(name, host)`), so faults can name links between nodes.
 *
 * The lab's links are TCP, so what the application can see of a bad network is what is modelled:
 * latency with jitter (a stream stays in order: a chunk never overtakes the one before it), writes
 * often split at random points into several deliveries (the frame decoders must reassemble them), links
 * shaped apart (a slave in another region), partitions, whole or one way (bytes across a blocked
 * link are held, as TCP retransmits them, and flow on heal unless the connection is reset first),
 * connection resets, and a node that dies (its peers
 * see the close; on a shaped link what it had in flight is lost). Packet loss,
 * duplication and reordering below TCP reach the application only as such delays, and are not
 * modelled apart from them.
 */
import type { Random } from '../io/prng.js';
import type { Connection, ConnectionEvents, Listener, Transport } from '../io/transport.js';
import type { SimClock } from './sim-clock.js';

export interface LinkConditions {
  /** one-way latency, ms */
  latencyMs: number;
  /** extra latency drawn uniformly in [0, jitterMs) per delivery */
  jitterMs: number;
  /** bytes per second each way; 0 or absent = unlimited */
  bandwidthBytesPerSec?: number;
}

const EPHEMERAL_PORT_BASE = 40_000;
/**
 * One write in this many reaches its peer in pieces: enough for the frame decoders to meet every
 * kind of cut many times a run, without doubling the events of every message.
 */
const SPLIT_ONE_IN = 4;
const CONNECT_REFUSED_AFTER_MS = 1;

type Listeners = { [E in keyof ConnectionEvents]: ConnectionEvents[E][] };

/** One side of a simulated connection. */
class SimConnection implements Connection {
  peer!: SimConnection;
  destroyed = false;
  /** its process died: what it sent that is still on a shaped link is lost with it */
  killed = false;
  writable = true;
  private readonly listeners: Listeners = { data: [], connect: [], drain: [], error: [], close: [] };
  private paused = false;
  private held: Buffer[] = [];
  /** when the last chunk toward the peer is due: later chunks never overtake it */
  private lastDeliveryMs = 0;
  /** the deliveries due at the last scheduled instant, one event for all of them */
  private batch: { atMs: number; items: (Buffer | (() => void))[] } | undefined;
  private closeEmitted = false;
  private keys: { link: string; directed: string } | undefined;

  constructor(
    private readonly network: SimNetwork,
    readonly node: string,
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
  ) {}

  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): void {
    this.listeners[event].push(listener);
  }

  /** the network's keys of this link (undirected) and of this direction, made once (the ends never change) */
  get linkKeys(): { link: string; directed: string } {
    return (this.keys ??= { link: linkKey(this.node, this.peer.node), directed: `${this.node}>${this.peer.node}` });
  }

  emit<E extends keyof ConnectionEvents>(event: E, ...args: Parameters<ConnectionEvents[E]>): void {
    for (const listener of [...this.listeners[event]]) (listener as (...a: Parameters<ConnectionEvents[E]>) => void)(...args);
  }

  write(data: Buffer): boolean {
    if (this.destroyed || !this.writable) return false;
    // No copy: a writer hands over a buffer it does not change again (Connection.write)
    for (const chunk of this.network.split(data)) this.sendToPeer(chunk);
    return true;
  }

  writeBatched(frame: Buffer): boolean {
    return this.write(frame);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.emit('data', chunk);
  }

  end(): void {
    if (this.destroyed) return;
    this.writable = false;
    // The close reaches the peer after the bytes before it.
    this.toPeer(() => this.peer.closeBy());
    this.closeBy();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.closeBy();
    this.toPeer(() => this.peer.closeBy());
  }

  /**
   * Its process died: the peer sees the close after what was sent before it. The dead side hears
   * nothing (no listener of a dead process may run: it would reconnect, retry, write).
   */
  kill(): void {
    if (this.destroyed) return;
    this.killed = true;
    this.vanish();
    this.network.forget(this);
    // On a shaped link the lab's proxy drops what it held and closes the far side at once.
    if (this.network.shaped(this.node, this.peer.node)) this.network.at(this.network.arrivalMs(this.node, 'loopback', 0), () => this.peer.closeBy());
    else this.toPeer(() => this.peer.closeBy());
  }

  /** A reset: both sides fail now, whatever is in flight. */
  reset(): void {
    for (const side of [this, this.peer]) {
      if (side.destroyed) continue;
      side.destroyed = true;
      side.writable = false;
      side.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
      side.emitClose();
    }
  }

  /** This side is gone, and hears nothing more. */
  vanish(): void {
    this.destroyed = true;
    this.writable = false;
    this.closeEmitted = true;
  }

  receive(chunk: Buffer): void {
    if (this.destroyed) return;
    if (this.paused) this.held.push(chunk);
    else this.emit('data', chunk);
  }

  /** Nothing reaches the peer before `atMs` (a dialled connection: before the far side accepted it). */
  notBefore(atMs: number): void {
    this.lastDeliveryMs = Math.max(this.lastDeliveryMs, atMs);
  }

  private sendToPeer(chunk: Buffer): void {
    this.toPeer(chunk, chunk.length);
  }

  /**
   * Delivers `item` at the peer after the link's delay, in order with what was sent before (a chunk
   * of bytes is received; a function runs); a partition holds it.
   */
  private toPeer(item: Buffer | (() => void), bytes = 0): void {
    const atMs = this.nextDeliveryMs(bytes);
    // What is due at the same instant as the last scheduled delivery rides in its event, in order.
    if (this.batch && this.batch.atMs === atMs) {
      this.batch.items.push(item);
      return;
    }
    const batch = { atMs, items: [item] };
    this.batch = batch;
    this.network.at(atMs, () => {
      if (this.batch === batch) this.batch = undefined;
      for (const item of batch.items) {
        if (this.network.deliverable(this, this.peer)) {
          if (typeof item === 'function') item();
          else this.peer.receive(item);
        } else {
          this.network.hold(this, typeof item === 'function' ? item : () => this.peer.receive(item));
        }
      }
    });
  }

  private nextDeliveryMs(bytes: number): number {
    const { link, directed } = this.linkKeys;
    this.lastDeliveryMs = Math.max(this.lastDeliveryMs, this.network.arrivalMs(this.node, this.peer.node, bytes, link, directed));
    return this.lastDeliveryMs;
  }

  private closeBy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.writable = false;
    this.emitClose();
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.network.forget(this);
    this.emit('close');
  }
}

interface SimListener {
  node: string;
  onConnection: (connection: Connection) => void;
}

/** A network of simulated nodes, on one SimClock, with seeded chance. */
export class SimNetwork {
  private readonly listeners = new Map<string, SimListener>();
  private readonly connections = new Set<SimConnection>();
  /** directed links a>b whose bytes are held (a partition blocks both directions) */
  private readonly blocked = new Set<string>();
  /** per-link conditions, by undirected link, over the network's defaults */
  private readonly links = new Map<string, LinkConditions>();
  /** per directed link with a bandwidth: when it is free to send the next chunk */
  private readonly linkFreeAtMs = new Map<string, number>();
  /** deliveries held by a partition, per directed link, in order */
  private readonly heldByLink = new Map<string, (() => void)[]>();
  /** frozen nodes (SIGSTOP), with what reached them meanwhile, in order */
  private readonly frozen = new Map<string, (() => void)[]>();
  private nextPort = EPHEMERAL_PORT_BASE;

  constructor(readonly clock: SimClock, private readonly random: Random, private readonly conditions: LinkConditions) {}

  /** The Transport of one node: what it listens on is reachable at `host`. */
  endpoint(node: string, host: string): Transport {
    return {
      listen: async ({ port }, onConnection) => {
        const bound = port === 0 ? this.nextPort++ : port;
        const address = `${host}:${bound}`;
        if (this.listeners.has(address)) throw Object.assign(new Error(`listen EADDRINUSE: address already in use ${address}`), { code: 'EADDRINUSE' });
        const entry: SimListener = { node, onConnection };
        this.listeners.set(address, entry);
        const listener: Listener = {
          port: bound,
          close: async () => {
            if (this.listeners.get(address) === entry) this.listeners.delete(address);
          },
        };
        return listener;
      },
      connect: ({ host: toHost, port }) => this.dial(node, host, `${toHost}:${port}`),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Faults
  // -------------------------------------------------------------------------------------------

  /** Bytes between a and b, both ways, are held until heal. */
  partition(a: string, b: string): void {
    this.block(a, b);
    this.block(b, a);
  }

  /** Bytes from `from` to `to` are held until heal (the other direction flows: requests arrive, answers do not). */
  block(from: string, to: string): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Both directions flow again; what was held is delivered, in order. */
  heal(a: string, b: string): void {
    for (const key of [`${a}>${b}`, `${b}>${a}`]) {
      this.blocked.delete(key);
      const held = this.heldByLink.get(key) ?? [];
      this.heldByLink.delete(key);
      for (const deliver of held) deliver();
    }
  }

  /** The link between a and b takes these conditions instead of the network's (a slave in another region, say). */
  shapeLink(a: string, b: string, conditions: LinkConditions): void {
    this.links.set(linkKey(a, b), conditions);
  }

  /** Every connection between a and b is reset. */
  resetConnections(a: string, b: string): void {
    for (const c of [...this.connections]) if (linkKey(c.node, c.peer.node) === linkKey(a, b)) c.reset();
  }

  /** The node's process died: its listeners go, its connections close, and its peers see the close. */
  processDied(node: string): void {
    this.dropListeners(node);
    for (const c of [...this.connections]) if (c.node === node) c.kill();
  }


  /** SIGSTOP: what reaches the node waits in its socket buffers until the thaw. */
  freeze(node: string): void {
    if (!this.frozen.has(node)) this.frozen.set(node, []);
  }

  /** SIGCONT: the node reads what came meanwhile, in order. */
  thaw(node: string): void {
    const held = this.frozen.get(node) ?? [];
    this.frozen.delete(node);
    for (const deliver of held) deliver();
  }


  // -------------------------------------------------------------------------------------------
  // Internals used by SimConnection
  // -------------------------------------------------------------------------------------------

  /** @internal */
  at(atMs: number, run: () => void): void {
    this.clock.schedule(undefined, atMs - this.clock.monotonicMs(), run);
  }

  /** @internal the link between a and b has conditions of its own (the lab puts a fault proxy on it) */
  shaped(a: string, b: string): boolean {
    return this.links.has(linkKey(a, b));
  }

  /** @internal one-way delay from a to b for the next chunk */
  delayMs(a: string, b: string, link = linkKey(a, b)): number {
    const { latencyMs, jitterMs } = this.links.get(link) ?? this.conditions;
    return latencyMs + (jitterMs > 0 ? this.random.next() * jitterMs : 0);
  }

  /** @internal when `bytes` sent from a to b now arrive: after the link is free, their transmission time, and the delay */
  arrivalMs(a: string, b: string, bytes: number, link = linkKey(a, b), directed?: string): number {
    const now = this.clock.monotonicMs();
    const bandwidth = this.links.get(link)?.bandwidthBytesPerSec ?? this.conditions.bandwidthBytesPerSec ?? 0;
    if (bandwidth <= 0 || bytes === 0) return now + this.delayMs(a, b, link);
    const key = directed ?? `${a}>${b}`;
    const sent = Math.max(now, this.linkFreeAtMs.get(key) ?? 0) + (bytes * 1000) / bandwidth;
    this.linkFreeAtMs.set(key, sent);
    return sent + this.delayMs(a, b, link);
  }

  /**
   * @internal a chunk from `from` may reach `to` now. On a shaped link (a distance, behind the lab's
   * fault proxy) what a dead process sent and what has not arrived yet is lost with it, as the proxy
   * drops what it still held: that is what an ASYNC_MASTER's replication lag is made of.
   */
  deliverable(from: SimConnection, to: SimConnection): boolean {
    const keys = from.peer === to ? from.linkKeys : { link: linkKey(from.node, to.node), directed: `${from.node}>${to.node}` };
    if (from.killed && this.links.has(keys.link)) return false;
    return !this.blocked.has(keys.directed) && !to.destroyed && !this.frozen.has(to.node);
  }

  /** @internal a chunk a partition stopped: delivered on heal, in order */
  hold(from: SimConnection, deliver: () => void): void {
    if (from.killed && this.links.has(linkKey(from.node, from.peer.node))) return; // lost with its sender
    const key = `${from.node}>${from.peer.node}`;
    const frozen = this.frozen.get(from.peer.node);
    if (frozen && !this.blocked.has(key) && !from.peer.destroyed) {
      frozen.push(deliver);
      return;
    }
    if (!this.blocked.has(key)) return; // the peer (or the sender) is gone: dropped
    const held = this.heldByLink.get(key) ?? [];
    held.push(deliver);
    this.heldByLink.set(key, held);
  }

  /** @internal */
  forget(connection: SimConnection): void {
    this.connections.delete(connection);
  }

  /** @internal a write cut at random points into 2 or 3 deliveries one time in SPLIT_ONE_IN, else whole */
  split(data: Buffer): Buffer[] {
    if (data.length < 2 || this.random.int(SPLIT_ONE_IN) !== 0) return [data];
    const pieces = 2 + this.random.int(2);
    // one or two distinct cut points, drawn in this order, in ascending order
    const a = 1 + this.random.int(data.length - 1);
    if (pieces === 2) return [data.subarray(0, a), data.subarray(a)];
    const b = 1 + this.random.int(data.length - 1);
    if (a === b) return [data.subarray(0, a), data.subarray(a)];
    const [low, high] = a < b ? [a, b] : [b, a];
    return [data.subarray(0, low), data.subarray(low, high), data.subarray(high)];
  }

  private dial(node: string, host: string, address: string): SimConnection {
    const port = this.nextPort++;
    const [toHost, toPort] = splitAddress(address);
    const client = new SimConnection(this, node, toHost, toPort);
    const target = this.listeners.get(address);
    const reachable = target !== undefined && !this.blocked.has(`${node}>${target.node}`) && !this.blocked.has(`${target.node}>${node}`);
    // The far side exists from the start so the client's writes before 'connect' have somewhere to go.
    const server = new SimConnection(this, target?.node ?? address, host, port);
    client.peer = server;
    server.peer = client;
    if (!reachable) {
      // Refused (nobody listens) at once; unreachable (partitioned) never answers: the caller's timeout fires.
      if (target === undefined) {
        this.at(this.clock.monotonicMs() + CONNECT_REFUSED_AFTER_MS, () => {
          if (client.destroyed) return;
          client.destroyed = true;
          client.writable = false;
          client.emit('error', Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' }));
          client.emit('close');
        });
      }
      return client;
    }
    this.connections.add(client);
    this.connections.add(server);
    const half = this.arrivalMs(node, target.node, 0);
    client.notBefore(half);
    this.at(half, () => {
      if (client.destroyed || this.listeners.get(address) !== target) {
        client.reset();
        return;
      }
      target.onConnection(server);
      this.at(this.arrivalMs(target.node, node, 0), () => {
        if (!client.destroyed) client.emit('connect');
      });
    });
    return client;
  }

  private dropListeners(node: string): void {
    for (const [address, listener] of [...this.listeners]) if (listener.node === node) this.listeners.delete(address);
  }
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
