'use client';
/**
 * The cluster's LiveState for every page that shows or acts on it: from the live stream, or polled
 * over HTTP (cluster.state every 2 s) while the stream is down, whichever is newer. The one place
 * the dashboard polls the cluster state.
 */
import type { LiveState } from '@/server/live/types';
import { brokerDownReason } from '@/server/live/broker-availability';
import { trpc } from './trpc';
import { useLive, type Live } from './use-live';

export function useClusterState(): { live: Live; state: LiveState | null; error: unknown; refetch(): void } {
  const live = useLive();
  const connected = live.status === 'connected';
  const polled = trpc.cluster.state.useQuery(undefined, { enabled: !connected, refetchInterval: connected ? false : 2000 });
  const polledState = (polled.data as LiveState | undefined) ?? null;
  // a poll from before the stream connected must not hide the stream's newer state
  const state = live.state && (connected || !polledState || live.state.t >= polledState.t) ? live.state : polledState;
  return { live, state, error: !connected && !state ? polled.error : null, refetch: () => void polled.refetch() };
}

/**
 * What to call when an action on the cluster settled (started, stopped or crashed a process):
 * refetch the cluster state and its events now instead of at the next tick or poll.
 */
export function useClusterRefresh(): () => void {
  const utils = trpc.useUtils();
  return () => {
    void utils.cluster.events.invalidate();
    void utils.cluster.state.invalidate();
  };
}

/** Whether a broker can take sends and reads now, and if not a sentence saying why. */
export function brokerAvailability(state: LiveState | null): { up: boolean; reason?: string } {
  if (!state) return { up: false, reason: 'the cluster state has not arrived yet' };
  // An external target's brokers are not the lab's to know: its requests say when they fail.
  if (state.target.kind === 'external') return { up: true };
  const reason = brokerDownReason(state);
  return reason === null ? { up: true } : { up: false, reason };
}
