/**
 * The broker's (and later the name server's) remoting listener. One FrameDecoder per connection;
 * a malformed or oversized frame closes that connection and no other (the decoder refuses it before
 * buffering it, see FrameDecoder), and so does an answer that cannot be encoded. Requests are dispatched by
 * code to processors; a code nobody handles gets REQUEST_CODE_NOT_SUPPORTED with a remark naming it.
 */
import net from 'node:net';
import { ResponseCode, requestCodeName } from '../protocol/codes.js';
import { FrameDecoder, createResponse, encodeCommand, isOneway, isResponse, type RemotingCommand } from '../protocol/remoting-command.js';
import { listenOn } from './listen.js';

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
    return listenOn(this.server, port, host);
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
        if (!socket.destroyed) this.write(socket, encodeCommand(command));
      },
    };
    socket.on('data', (chunk) => {
      let commands: RemotingCommand[];
      try {
        commands = decoder.push(chunk);
      } catch (error) {
        this.badFrame(connection, (error as Error).message);
        socket.destroy();
        return;
      }
      for (const command of commands) {
        this.dispatch(socket, connection, command).catch((error: unknown) => {
          // A processor's answer that cannot be encoded or written: that connection only.
          this.badFrame(connection, `request code ${command.code} could not be answered: ${(error as Error).message}`);
          socket.destroy();
        });
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.events.connectionClosed?.(connection);
    });
  }

  private badFrame(connection: ConnectionContext, reason: string): void {
    if (this.events.badFrame) this.events.badFrame(connection, reason);
    else console.error(`[remoting] closed the connection from ${connection.remoteAddress}:${connection.remotePort} after a bad frame: ${reason}`);
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
    if (response && !isOneway(request) && !socket.destroyed) this.write(socket, encodeCommand(response));
  }

  /**
   * Backpressure: a peer that sends requests and never reads the answers would otherwise make the
   * broker buffer every answer. While the socket's write buffer is over its high-water mark, the
   * broker stops reading that connection's requests.
   */
  private write(socket: net.Socket, frame: Buffer): void {
    if (socket.write(frame) || socket.isPaused()) return;
    socket.pause();
    socket.once('drain', () => socket.resume());
  }
}
