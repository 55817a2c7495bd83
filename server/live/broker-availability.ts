/**
 * Whether the cluster can take sends and reads now, from the live state alone, and if not the sentence
 * that says why. One rule for the dashboard (its Start traffic, Publish and Resend buttons) and the
 * message console: in controller mode whichever replica the controller elected answers; in classic
 * mode broker-a/0 does, or the slave it was promoted to after a failover.
 */
import type { LiveState } from './types';

export function brokerDownReason(state: LiveState): string | null {
  if (state.topology.controllerMode) {
    const group = state.topology.groups[0];
    return group?.master ? null : `${group?.brokerName ?? 'broker-a'} has no master: the controller has not elected one yet`;
  }
  const promoted = state.replication?.promotion !== undefined && state.replication.slave.state === 'running';
  if (state.broker.state === 'running' || promoted) return null;
  return `the broker is ${state.broker.state}: restart it on the Overview page first`;
}
