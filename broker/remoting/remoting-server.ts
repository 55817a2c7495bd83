/**
 * The broker's (and later the name server's) remoting listener. One FrameDecoder per connection;
 * a malformed or oversized frame closes that connection and no other. Requests are dispatched by
 * code to processors; a code nobody handles gets REQUEST_CODE_NOT_SUPPORTED with a remark naming it.
 */
import net from 'node:net';
import { ResponseCode, requestCodeName } from '../protocol/codes.js';
import { FrameDecoder, createResponse, encodeCommand, isOneway, isResponse, type RemotingCommand } from '../protocol/remoting-command.js';

export interface ConnectionContext {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** sends a server-initiated request (e.g. CHECK_TRANSACTION_STATE); oneway, never awaited */
  sendOneway(command: RemotingCommand): void;
}

export type Processor = (request: RemotingCommand, connection: ConnectionContext) => Promise<RemotingCommand | null> | RemotingCommand | null;

export interface RemotingServerEvents {
  /** a connection was closed because of a bad frame */
  badFrame?(connection: ConnectionContext, reason: string): void;
  connectionClosed?(connection: ConnectionContext): void;
}

export class RemotingServer {
  private readonly server: net.Server;
  private readonly processors = new Map<number, Processor>();
  private readonly sockets = new Set<net.Socket>();
  private connectionIds = 0;

  constructor(private readonly events: RemotingServerEvents = {}) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  register(code: number, processor: Processor): void {
    this.processors.set(code, processor);
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const decoder = new FrameDecoder();
    const connection: ConnectionContext = {
      id: ++this.connectionIds,
      remoteAddress: socket.remoteAddress ?? '127.0.0.1',
      remotePort: socket.remotePort ?? 0,
      sendOneway: (command) => {
        if (!socket.destroyed) socket.write(encodeCommand(command));
      },
    };
    socket.on('data', (chunk) => {
      let commands: RemotingCommand[];
      try {
        commands = decoder.push(chunk);
      } catch (error) {
        this.events.badFrame?.(connection, (error as Error).message);
        socket.destroy();
        return;
      }
      for (const command of commands) void this.dispatch(socket, connection, command);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.events.connectionClosed?.(connection);
    });
  }

  private async dispatch(socket: net.Socket, connection: ConnectionContext, request: RemotingCommand): Promise<void> {
    if (isResponse(request)) return; // answers to server-initiated oneway requests: nothing waits for them
    const processor = this.processors.get(request.code);
    let response: RemotingCommand | null;
    if (!processor) {
      response = createResponse(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, {
        remark: `request code ${request.code} (${requestCodeName(request.code)}) is not supported`,
      });
    } else {
      try {
        response = await processor(request, connection);
      } catch (error) {
        response = createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: (error as Error).message });
      }
    }
    if (response && !isOneway(request) && !socket.destroyed) socket.write(encodeCommand(response));
  }
}
