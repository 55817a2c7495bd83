/**
 * The live stream: a WebSocket at /api/live on the control plane's own port. A new browser gets the
 * recent history at once, then one tick every 250 ms. A slow browser is skipped rather than buffered.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { ControlPlane } from '../control-plane';
import type { LiveMessage } from './types';

export const LIVE_PATH = '/api/live';
/** bytes queued to one browser before its ticks are dropped */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export class LiveHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });

  constructor(private readonly controlPlane: ControlPlane) {
    controlPlane.on('tick', (sample, state) => this.broadcast({ type: 'tick', sample, state }));
    this.wss.on('connection', (socket) => {
      this.send(socket, { type: 'hello', history: controlPlane.aggregator.history, state: controlPlane.state() });
      socket.on('message', () => {}); // the stream is one-way; anything sent is ignored
    });
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }

  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  private broadcast(message: LiveMessage): void {
    if (this.wss.clients.size === 0) return;
    const data = JSON.stringify(message);
    for (const client of this.wss.clients) {
      if (client.readyState === WebSocket.OPEN && client.bufferedAmount < MAX_BUFFERED_BYTES) client.send(data);
    }
  }

  private send(socket: WebSocket, message: LiveMessage): void {
    socket.send(JSON.stringify(message));
  }
}
