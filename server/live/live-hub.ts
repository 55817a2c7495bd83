/**
 * The live stream: a WebSocket at /api/live on the control plane's own port. A new browser gets the
 * recent history at once, then one tick every 250 ms. A slow browser is skipped rather than buffered.
 * Who may open it is decided at the upgrade (server/auth/http-gate.ts); every RECHECK_MS the hub asks
 * again with the same request, so a session that ended, a revoked token or a lowered role closes the
 * stream (CLOSE_CREDENTIAL_ENDED, 4401) instead of watching on.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { ControlPlane } from '../control-plane';
import { CLOSE_CREDENTIAL_ENDED, type LiveMessage } from './types';

/** bytes queued to one browser before its ticks are dropped */
const MAX_BUFFERED_BYTES = 1024 * 1024;
export const RECHECK_MS = 10_000;

export interface LiveHubOptions {
  /** whether the caller of this (original) upgrade request may still watch */
  stillAllowed?: (request: IncomingMessage) => Promise<boolean>;
  recheckMs?: number;
}

export class LiveHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly requests = new WeakMap<WebSocket, IncomingMessage>();
  private readonly recheckTimer: NodeJS.Timeout | undefined;

  constructor(private readonly controlPlane: ControlPlane, private readonly options: LiveHubOptions = {}) {
    controlPlane.on('tick', (sample, state) => this.broadcast({ type: 'tick', sample, state }));
    this.wss.on('connection', (socket, request: IncomingMessage) => {
      this.requests.set(socket, request);
      this.send(socket, { type: 'hello', history: controlPlane.aggregator.history, state: controlPlane.state() });
      socket.on('message', () => {}); // the stream is one-way; anything sent is ignored
    });
    if (options.stillAllowed) {
      this.recheckTimer = setInterval(() => void this.recheck(), options.recheckMs ?? RECHECK_MS);
      this.recheckTimer.unref();
    }
  }

  private async recheck(): Promise<void> {
    for (const socket of [...this.wss.clients]) {
      const request = this.requests.get(socket);
      if (!request || socket.readyState !== WebSocket.OPEN) continue;
      let allowed = false;
      try {
        allowed = await this.options.stillAllowed!(request);
      } catch {
        allowed = false; // cannot tell (database gone): fail closed
      }
      if (!allowed) socket.close(CLOSE_CREDENTIAL_ENDED, 'your sign-in ended or your role changed: reload to sign in again');
    }
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }

  close(): void {
    clearInterval(this.recheckTimer);
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
