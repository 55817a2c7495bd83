/**
 * Whether this machine can run a topology: server/cluster/topology.ts's rule with this machine's
 * memory. Apart from topology.ts because the dashboard imports that one, and node:os is not for it.
 */
import os from 'node:os';
import { topologyRefusal, type Topology } from './topology';

/** Why this machine cannot run `topology` (its memory), or undefined. */
export function refusalOnThisMachine(topology: Topology): string | undefined {
  return topologyRefusal(topology, os.totalmem() / 2 ** 20);
}
