/**
 * The remoting listener of the broker and the name server. One FrameDecoder per connection;
 * a malformed or oversized frame closes that connection and no other (the decoder refuses it before
 * buffering it, see FrameDecoder), and so does an answer that cannot be encoded. Requests are dispatched by
 * code to processors; a code nobody handles gets REQUEST_CODE_NOT_SUPPORTED with a remark naming it.
 *
 * Connection hygiene (RemotingServerConfig): a connection with nothing read or written for
 * serverChannelMaxIdleTimeSeconds is closed, as RocketMQ's all-idle handler does; so is one whose frame
 * is not whole serverFrameCompleteTimeoutMillis after it began (a sender trickling a frame a byte at a
 * time); a connection past serverMaxConnections is closed as it is accepted; and when the unfinished
 * frames of all connections together hold more than serverPartialFramesMaxBytes, the connections whose
 * frames began earliest are closed until they fit. One sweep on the clock checks the deadlines.
 */
import { RemotingServerConfigSchema, type RemotingServerConfig } from '../config/broker-config.js';
import { systemClock, type Clock, type Timer } from '../io/clock.js';
import { realTransport, type Connection as TransportConnection, type Listener, type Transport } from '../io/transport.js';
import { ResponseCode, requestCodeName } from '../protocol/codes.js';
import { FrameDecoder, createResponse, encodeCommand, isOneway, isResponse, type RemotingCommand } from '../protocol/remoting-command.js';

/** the longest the sweep waits between two checks of the deadlines */
const SWEEP_PERIOD_MAX_MS = 1000;

export interface ConnectionContext {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** sends a server-initiated request (e.g. CHECK_TRANSACTION_STATE); oneway, never awaited */
  sendOneway(command: RemotingCommand): void;
}

export type Processor = (request: RemotingCommand, connection: ConnectionContext) => Promise<RemotingCommand | null> | RemotingCommand | null;

export interface RemotingServerEvents {
  /** a connection was closed because of a bad frame (without a listener: one line on stderr) */
  badFrame?(connection: ConnectionContext, reason: string): void;
  connectionClosed?(connection: ConnectionContext): void;
  /**
   * a connection was closed by a limit: idle, a frame not finished in time, too many connections,
   * too many partial-frame bytes; `message` names the peer and the limit (without a listener: one line
   * on stderr; refusals past serverMaxConnections are summed into one message per sweep)
   */
  connectionShed?(message: string): void;
  /**
   * A check every request passes before its processor (RocketMQ's server RPC hook; the broker's ACL):
   * the answer that refuses the request, or undefined to let it through.
   */
  gate?(request: RemotingCommand, connection: ConnectionContext): RemotingCommand | undefined;
}

/** What the listener keeps of one connection. */
interface Connection {
  readonly socket: TransportConnection;
  readonly context: ConnectionContext;
  readonly decoder: FrameDecoder;
  /** clock.monotonicMs() of the last byte read or written */
  lastActivityMs: number;
  /** when the frame still unfinished began (undefined: no partial frame held) */
  partialSinceMs: number | undefined;
  /** decoder.bufferedBytes as last counted into partialBytes */
  buffered: number;
}

export class RemotingServer {
  private listener: Listener | undefined;
  private readonly processors = new Map<number, Processor>();
  private readonly connections = new Set<Connection>();
  private readonly config: RemotingServerConfig;
  private connectionIds = 0;
  /** bytes of unfinished frames over every connection */
  private partialBytes = 0;
  /** connections closed at accept since the last sweep (past serverMaxConnections) */
  private refusedSinceSweep = 0;
  private sweepTimer: Timer | undefined;

  constructor(
    private readonly events: RemotingServerEvents = {},
    config: Partial<RemotingServerConfig> = {},
    private readonly clock: Clock = systemClock,
    private readonly transport: Transport = realTransport,
  ) {
    this.config = RemotingServerConfigSchema.parse(config);
  }

  register(code: number, processor: Processor): void {
    this.processors.set(code, processor);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    this.listener = await this.transport.listen({ host, port }, (socket) => this.accept(socket));
    const { serverChannelMaxIdleTimeSeconds, serverFrameCompleteTimeoutMillis } = this.config;
    const period = Math.max(10, Math.min(SWEEP_PERIOD_MAX_MS, serverChannelMaxIdleTimeSeconds * 1000 / 4, serverFrameCompleteTimeoutMillis / 4));
    this.sweepTimer = this.clock.setInterval(() => this.sweep(), period);
    this.sweepTimer.unref();
    return this.listener.port;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    this.sweepTimer?.cancel();
    for (const connection of this.connections) connection.socket.destroy();
    await this.listener?.close();
  }

  private accept(socket: TransportConnection): void {
    if (this.connections.size >= this.config.serverMaxConnections) {
      this.refusedSinceSweep++;
      socket.destroy();
      return;
    }
    const connection: Connection = {
      socket,
      decoder: new FrameDecoder(),
      lastActivityMs: this.clock.monotonicMs(),
      partialSinceMs: undefined,
      buffered: 0,
      context: {
        id: ++this.connectionIds,
        remoteAddress: socket.remoteAddress ?? '127.0.0.1',
        remotePort: socket.remotePort ?? 0,
        sendOneway: (command) => {
          if (!socket.destroyed) this.write(connection, encodeCommand(command));
        },
      },
    };
    this.connections.add(connection);
    socket.on('data', (chunk) => this.read(connection, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('drain', () => socket.resume());
    socket.on('close', () => {
      this.release(connection);
      this.connections.delete(connection);
      this.events.connectionClosed?.(connection.context);
    });
  }

  private read(connection: Connection, chunk: Buffer): void {
    const { socket, decoder, context } = connection;
    if (socket.destroyed) return;
    const now = this.clock.monotonicMs();
    connection.lastActivityMs = now;
    let commands: RemotingCommand[];
    try {
      commands = decoder.push(chunk);
    } catch (error) {
      this.release(connection);
      this.badFrame(context, (error as Error).message);
      socket.destroy();
      return;
    }
    // A frame finished in this chunk restarts the clock of the one after it.
    if (decoder.bufferedBytes === 0) connection.partialSinceMs = undefined;
    else if (connection.partialSinceMs === undefined || commands.length > 0) connection.partialSinceMs = now;
    this.partialBytes += decoder.bufferedBytes - connection.buffered;
    connection.buffered = decoder.bufferedBytes;
    if (this.partialBytes > this.config.serverPartialFramesMaxBytes) this.shedOldestPartials();
    for (const command of commands) {
      this.dispatch(connection, command).catch((error: unknown) => {
        // A processor's answer that cannot be encoded or written: that connection only.
        this.badFrame(context, `request code ${command.code} could not be answered: ${(error as Error).message}`);
        socket.destroy();
      });
    }
  }

  /** Closes the connections whose unfinished frames began earliest until the rest fit the budget. */
  private shedOldestPartials(): void {
    const held = this.partialBytes;
    const holders = [...this.connections].filter((c) => c.buffered > 0).sort((a, b) => (a.partialSinceMs ?? 0) - (b.partialSinceMs ?? 0));
    for (const connection of holders) {
      if (this.partialBytes <= this.config.serverPartialFramesMaxBytes) break;
      this.shed(connection, `unfinished frames of all connections held ${held} bytes, over serverPartialFramesMaxBytes ${this.config.serverPartialFramesMaxBytes}; this connection's (${connection.buffered} bytes) began first`);
    }
  }

  /** Stops counting a connection's partial frame: it is closed, or closing (its bytes go with it). */
  private release(connection: Connection): void {
    this.partialBytes -= connection.buffered;
    connection.buffered = 0;
    connection.partialSinceMs = undefined;
  }

  private sweep(): void {
    const now = this.clock.monotonicMs();
    const idleMs = this.config.serverChannelMaxIdleTimeSeconds * 1000;
    const frameMs = this.config.serverFrameCompleteTimeoutMillis;
    for (const connection of this.connections) {
      if (connection.socket.destroyed) continue;
      if (connection.partialSinceMs !== undefined && now - connection.partialSinceMs > frameMs) {
        this.shed(connection, `a frame was not finished ${Math.round(now - connection.partialSinceMs)} ms after it began (${connection.buffered} bytes of it held; serverFrameCompleteTimeoutMillis ${frameMs})`);
      } else if (now - connection.lastActivityMs > idleMs) {
        this.shed(connection, `nothing read or written for ${Math.round((now - connection.lastActivityMs) / 1000)} s (serverChannelMaxIdleTimeSeconds ${this.config.serverChannelMaxIdleTimeSeconds})`);
      }
    }
    if (this.refusedSinceSweep > 0) {
      const refused = this.refusedSinceSweep;
      this.refusedSinceSweep = 0;
      this.report(`refused ${refused} connection${refused === 1 ? '' : 's'} at accept: ${this.connections.size} open, serverMaxConnections ${this.config.serverMaxConnections}`);
    }
  }

  private shed(connection: Connection, reason: string): void {
    const { remoteAddress, remotePort } = connection.context;
    this.report(`closed the connection from ${remoteAddress}:${remotePort}: ${reason}`);
    this.release(connection);
    connection.socket.destroy();
  }

  private report(message: string): void {
    if (this.events.connectionShed) this.events.connectionShed(message);
    else console.error(`[remoting] ${message}`);
  }

  private badFrame(connection: ConnectionContext, reason: string): void {
    if (this.events.badFrame) this.events.badFrame(connection, reason);
    else console.error(`[remoting] closed the connection from ${connection.remoteAddress}:${connection.remotePort} after a bad frame: ${reason}`);
  }

  private async dispatch(connection: Connection, request: RemotingCommand): Promise<void> {
    if (isResponse(request)) return; // answers to server-initiated oneway requests: nothing waits for them
    const processor = this.processors.get(request.code);
    let response: RemotingCommand | null;
    const refused = this.events.gate?.(request, connection.context);
    if (refused) {
      response = refused;
    } else if (!processor) {
      response = createResponse(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, {
        remark: `request code ${request.code} (${requestCodeName(request.code)}) is not supported`,
      });
    } else {
      try {
        response = await processor(request, connection.context);
      } catch (error) {
        response = createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: (error as Error).message });
      }
    }
    if (response && !isOneway(request) && !connection.socket.destroyed) this.write(connection, encodeCommand(response));
  }

  /**
   * Backpressure: a peer that sends requests and never reads the answers would otherwise make the
   * broker buffer every answer. While the socket's write buffer is over its high-water mark, the
   * broker stops reading that connection's requests (until 'drain', see accept).
   */
  private write(connection: Connection, frame: Buffer): void {
    connection.lastActivityMs = this.clock.monotonicMs();
    // The answers that become ready together (requests of one chunk, puts of one flush) leave in one syscall.
    if (!connection.socket.writeBatched(frame)) connection.socket.pause();
  }
}
