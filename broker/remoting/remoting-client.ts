/**
 * The client side of remoting: one TCP connection per address, requests matched to responses by
 * opaque, a timeout per request. Used by our producer, consumer and the control plane's admin calls.
 */
import { ZerolossError } from '../errors/errors.js';
import { systemClock, type Clock, type Timer } from '../io/clock.js';
import { realTransport, type Connection as TransportConnection, type Transport } from '../io/transport.js';
import { FrameDecoder, encodeCommand, isResponse, type RemotingCommand } from '../protocol/remoting-command.js';
import { signRequest, type SessionCredentials } from '../acl/acl-signature.js';

interface Pending {
  resolve(command: RemotingCommand): void;
  reject(error: Error): void;
  timer: Timer;
}

class Connection {
  readonly pending = new Map<number, Pending>();
  private readonly socket: TransportConnection;
  readonly ready: Promise<void>;
  /** the TCP connection is established (ready resolved) */
  connected = false;
  closed = false;

  constructor(readonly address: string, private readonly clock: Clock, transport: Transport, onRequest: (command: RemotingCommand) => void, onClose: () => void) {
    const [host, port] = splitAddress(address);
    const decoder = new FrameDecoder();
    this.socket = transport.connect({ host, port });
    this.ready = new Promise((resolve, reject) => {
      this.socket.on('connect', () => {
        this.connected = true;
        resolve();
      });
      // Fails the connect; an error after it only leads to 'close' (ready is settled by then).
      this.socket.on('error', (error) => reject(new ZerolossError('CONNECT_FAILED', `cannot connect to ${address}: ${error.message}`, { cause: error })));
    });
    this.ready.catch(() => {});
    this.socket.on('data', (chunk) => {
      let commands: RemotingCommand[];
      try {
        commands = decoder.push(chunk);
      } catch (error) {
        this.close(error as Error);
        return;
      }
      for (const command of commands) {
        if (!isResponse(command)) {
          onRequest(command);
          continue;
        }
        const pending = this.pending.get(command.opaque);
        if (!pending) continue; // late answer to a request that already timed out
        this.pending.delete(command.opaque);
        pending.timer.cancel();
        pending.resolve(command);
      }
    });
    this.socket.on('close', () => {
      this.close(new ZerolossError('CONNECTION_CLOSED', `connection to ${address} closed`));
      onClose();
    });
  }

  send(request: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new ZerolossError('CONNECTION_CLOSED', `connection to ${this.address} closed`));
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(request.opaque);
        reject(new ZerolossError('REQUEST_TIMEOUT', `no response from ${this.address} within ${timeoutMs} ms (request code ${request.code})`));
      }, timeoutMs);
      this.pending.set(request.opaque, { resolve, reject, timer });
      this.socket.writeBatched(encodeCommand(request));
    });
  }

  sendOneway(request: RemotingCommand): void {
    if (!this.closed) this.socket.writeBatched(encodeCommand(request));
  }

  close(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.pending.values()) {
      pending.timer.cancel();
      pending.reject(reason);
    }
    this.pending.clear();
    this.socket.destroy();
  }
}

export function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid address '${address}': expected host:port`);
  return [address.slice(0, i), port];
}

export class RemotingClient {
  private readonly connections = new Map<string, Connection>();

  /**
   * `onRequest`: server-initiated requests (CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED).
   * `credentials`: every request is signed with them (RocketMQ's AclClientRPCHook), for a cluster with ACL.
   */
  constructor(
    private readonly onRequest: (address: string, command: RemotingCommand) => void = () => {},
    private readonly clock: Clock = systemClock,
    private readonly transport: Transport = realTransport,
    private readonly credentials?: SessionCredentials,
  ) {}

  async invoke(address: string, request: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    const connection = await this.connect(address, timeoutMs);
    if (this.credentials) signRequest(request, this.credentials);
    return connection.send(request, timeoutMs);
  }

  async invokeOneway(address: string, request: RemotingCommand, timeoutMs = 3000): Promise<void> {
    request.flag |= 2;
    const connection = await this.connect(address, timeoutMs);
    if (this.credentials) signRequest(request, this.credentials);
    connection.sendOneway(request);
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close(new ZerolossError('CONNECTION_CLOSED', 'client closed'));
    this.connections.clear();
  }

  private async connect(address: string, timeoutMs: number): Promise<Connection> {
    let connection = this.connections.get(address);
    if (connection?.connected && !connection.closed) return connection; // the fast path: no connect timer per request
    if (!connection || connection.closed) {
      const created = new Connection(address, this.clock, this.transport, (command) => this.onRequest(address, command), () => {
        if (this.connections.get(address) === created) this.connections.delete(address);
      });
      connection = created;
      this.connections.set(address, created);
    }
    let timer: Timer | undefined;
    try {
      await Promise.race([
        connection.ready,
        new Promise((_, reject) => {
          timer = this.clock.setTimeout(() => reject(new ZerolossError('CONNECT_FAILED', `connect to ${address} timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      connection.close(error as Error);
      this.connections.delete(address);
      throw error;
    } finally {
      timer?.cancel();
    }
    return connection;
  }
}
