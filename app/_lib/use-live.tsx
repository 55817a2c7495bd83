'use client';
/**
 * The live stream: one WebSocket to /api/live per browser tab, shared by every page through
 * <LiveProvider>. It keeps the last two minutes of samples and the newest LiveState, and reconnects
 * by itself with exponential backoff (0.5 s doubling to 10 s, with jitter).
 */
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { CLOSE_CREDENTIAL_ENDED, HISTORY_SAMPLES, LIVE_PATH, type LiveMessage, type LiveSample, type LiveState } from '@/server/live/types';

/** samples kept: as many as the server sends a new browser (2 minutes) */
export const LIVE_HISTORY_CAP = HISTORY_SAMPLES;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
/** no message for this long on an open socket = a dead connection (the server ticks every 250 ms) */
const STALE_AFTER_MS = 5_000;

/** What `live-status` shows: exactly 'connected' or 'reconnecting'. */
export type LiveStatus = 'connected' | 'reconnecting';

export interface Live {
  status: LiveStatus;
  /** false until the first 'hello' arrived: nothing to show yet */
  ready: boolean;
  /** connection attempts since the last successful one */
  attempts: number;
  /** when the next attempt runs, while reconnecting */
  nextRetryAt: number | null;
  history: LiveSample[];
  latest: LiveSample | null;
  state: LiveState | null;
  /** retry now instead of waiting for the backoff */
  reconnect(): void;
}

export function liveUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${LIVE_PATH}`;
}

function capped(history: LiveSample[]): LiveSample[] {
  return history.length > LIVE_HISTORY_CAP ? history.slice(history.length - LIVE_HISTORY_CAP) : history;
}

interface Snapshot {
  history: LiveSample[];
  state: LiveState | null;
}

/** Opens and supervises the socket. Use it once, in <LiveProvider>; pages call useLive(). */
function useLiveConnection(): Live {
  const [snapshot, setSnapshot] = useState<Snapshot>({ history: [], state: null });
  const [status, setStatus] = useState<LiveStatus>('reconnecting');
  const [attempts, setAttempts] = useState(0);
  const [nextRetryAt, setNextRetryAt] = useState<number | null>(null);
  const reconnectNow = useRef<() => void>(() => {});

  useEffect(() => {
    let socket: WebSocket | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let staleTimer: ReturnType<typeof setInterval> | undefined;
    let lastMessageAt = 0;
    let failures = 0;
    let disposed = false;

    const scheduleRetry = () => {
      if (disposed || retryTimer) return;
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures, 10));
      const delay = Math.round(base * (0.75 + Math.random() * 0.5));
      failures++;
      setAttempts(failures);
      setNextRetryAt(Date.now() + delay);
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        connect();
      }, delay);
    };

    const drop = (ws: WebSocket) => {
      if (socket !== ws) return;
      socket = null;
      clearInterval(staleTimer);
      setStatus('reconnecting');
      scheduleRetry();
    };

    const connect = () => {
      if (disposed) return;
      setNextRetryAt(null);
      let ws: WebSocket;
      try {
        ws = new WebSocket(liveUrl(window.location));
      } catch {
        scheduleRetry();
        return;
      }
      socket = ws;
      ws.onopen = () => {
        lastMessageAt = Date.now();
        clearInterval(staleTimer);
        staleTimer = setInterval(() => {
          if (Date.now() - lastMessageAt > STALE_AFTER_MS) {
            ws.close();
            drop(ws);
          }
        }, 1000);
      };
      ws.onmessage = (event) => {
        if (socket !== ws) return;
        lastMessageAt = Date.now();
        let message: LiveMessage;
        try {
          message = JSON.parse(String(event.data)) as LiveMessage;
        } catch {
          return;
        }
        if (message.type === 'hello') {
          failures = 0;
          setAttempts(0);
          setStatus('connected');
          setSnapshot({ history: capped(message.history), state: message.state });
        } else if (message.type === 'tick') {
          setStatus('connected');
          setSnapshot((prev) => ({ history: capped([...prev.history, message.sample]), state: message.state }));
        }
      };
      ws.onerror = () => {
        // onclose follows and schedules the retry
      };
      ws.onclose = (event) => {
        // The sign-in behind this stream ended (server/live/live-hub.ts); a full load shows the
        // login page (or the local admin) instead of retrying with a dead credential.
        if (event.code === CLOSE_CREDENTIAL_ENDED) window.location.reload();
        else drop(ws);
      };
    };

    reconnectNow.current = () => {
      if (socket) return;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      connect();
    };

    const onOnline = () => reconnectNow.current();
    const onVisible = () => {
      if (document.visibilityState === 'visible') reconnectNow.current();
    };
    window.addEventListener('online', onOnline);
    document.addEventListener('visibilitychange', onVisible);
    connect();

    return () => {
      disposed = true;
      window.removeEventListener('online', onOnline);
      document.removeEventListener('visibilitychange', onVisible);
      clearTimeout(retryTimer);
      clearInterval(staleTimer);
      const ws = socket;
      socket = null;
      if (ws) {
        ws.onclose = null;
        ws.onmessage = null;
        ws.close();
      }
      reconnectNow.current = () => {};
    };
  }, []);

  return useMemo<Live>(
    () => ({
      status,
      ready: snapshot.state !== null,
      attempts,
      nextRetryAt,
      history: snapshot.history,
      latest: snapshot.history.length > 0 ? snapshot.history[snapshot.history.length - 1] : null,
      state: snapshot.state,
      reconnect: () => reconnectNow.current(),
    }),
    [status, snapshot, attempts, nextRetryAt],
  );
}

const LiveContext = createContext<Live | null>(null);

export function LiveProvider({ children }: { children: ReactNode }) {
  const live = useLiveConnection();
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

/** The live stream's history, newest state and connection status. */
export function useLive(): Live {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLive() must be used inside <LiveProvider> (app/providers.tsx)');
  return live;
}
