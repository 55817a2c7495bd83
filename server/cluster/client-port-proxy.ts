/**
 * The fault proxy in front of the master's client port (its remoting port, where producers send).
 * The control plane's own traffic runner reaches the master through it: the runner's producer maps
 * the master's address from the name server's route to this proxy's address (ProducerOptions
 * brokerAddressMap). Everyone else talks to the master directly: the consumers, the control plane's
 * admin connection (settings, topics), the slave, and external RocketMQ clients, which read the
 * master's real address from the name server. So a producer-link fault hits exactly the producer
 * under test, and an application drilled with `npx zeroloss cluster` is never slowed by a proxy hop.
 *
 * The proxy keeps its port for the life of the control plane and follows the master across restarts
 * (a restarted master keeps its port, a new one is set on every 'ready').
 */
import { FaultProxy, type Direction, type LinkFaults } from './fault-proxy';

export interface ClientPortProxyView {
  proxyAddress?: string;
  target?: string;
  faults: Record<Direction, LinkFaults>;
  connections: number;
}

export class ClientPortProxy {
  readonly proxy = new FaultProxy('client-port', '127.0.0.1:1');
  private target: string | undefined;

  constructor(private readonly record: (kind: string, message: string) => void) {}

  async listen(): Promise<void> {
    if (!this.proxy.port) await this.proxy.listen(0);
  }

  get address(): string | undefined {
    return this.proxy.port ? this.proxy.address : undefined;
  }

  /** The master listens here now. */
  setTarget(address: string): void {
    this.target = address;
    this.proxy.setTarget(address);
  }

  /** master address → proxy address, for a producer routed through the proxy; empty until both are known. */
  addressMap(): Record<string, string> {
    return this.target && this.address ? { [this.target]: this.address } : {};
  }

  /** Blackholes (drops) or heals one or both directions; `reset` also resets every open connection. */
  setFaults(direction: Direction | 'both', faults: Partial<LinkFaults> & { reset?: boolean }, why?: string): void {
    const { reset, ...rest } = faults;
    this.proxy.setFaults(direction, rest);
    if (reset) this.proxy.resetConnections();
    const words = [
      rest.blackhole !== undefined ? (rest.blackhole ? 'drop' : 'no drop') : '',
      rest.latencyMs !== undefined ? `latency ${rest.latencyMs} ms` : '',
      rest.bandwidthBytesPerSec !== undefined ? `bandwidth ${rest.bandwidthBytesPerSec} B/s` : '',
      reset ? 'connections reset' : '',
    ].filter(Boolean).join(', ');
    this.record('fault.clientLink', `client-port link ${direction}: ${words || 'unchanged'}${why ? ` (${why})` : ''}`);
  }

  resetConnections(why?: string): void {
    this.proxy.resetConnections();
    this.record('fault.clientLink', `client-port link: connections reset${why ? ` (${why})` : ''}`);
  }

  /**
   * Ends a drop as a real one ends: the connections are reset first, so what the blackhole held is
   * discarded (TCP gave up on it), then the link carries traffic again.
   */
  endDrop(why?: string): void {
    this.proxy.resetConnections();
    this.proxy.setFaults('both', { blackhole: false });
    this.record('fault.clientLink', `client-port link both: no drop, connections reset, held bytes dropped${why ? ` (${why})` : ''}`);
  }

  heal(): void {
    this.proxy.clearFaults();
  }

  view(): ClientPortProxyView {
    return { proxyAddress: this.address, target: this.target, faults: this.proxy.getFaults(), connections: this.proxy.stats().connections };
  }

  close(): Promise<void> {
    return this.proxy.close();
  }
}
