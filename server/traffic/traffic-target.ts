/**
 * Where the Traffic and Messages pages send and look: the embedded cluster (the default), or a
 * RocketMQ cluster Zeroloss did not start, reached through its name servers (issue 18). The traffic
 * runner, the consumers and the console's client take their name server from here; nothing else of
 * the control plane changes (its brokers, charts of broker stages and drills stay the embedded ones).
 */
import { z } from 'zod';
import { NamesrvAddrSchema } from '../external/external-cluster';
import { aclAccountFields, refineAclPair } from '../external/acl-account';
import type { SessionCredentials } from '../../broker/acl/acl-signature';

/** `credentials`: the ACL account the pages' clients sign with (held in memory only, never shown) */
export type TrafficTarget = { kind: 'embedded' } | { kind: 'external'; namesrvAddrs: string[]; credentials?: SessionCredentials };

export const TrafficTargetInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('embedded') }).strict(),
  z.object({ kind: z.literal('external'), namesrvAddr: NamesrvAddrSchema, ...aclAccountFields }).strict().superRefine(refineAclPair),
], { error: 'kind must be embedded or external (with namesrvAddr)' });
/** A checked choice: the name servers as a list. */
export type TrafficTargetChoice = z.output<typeof TrafficTargetInputSchema>;

/** The target as the live state shows it. */
export interface TrafficTargetView {
  kind: 'embedded' | 'external';
  /** the name servers the pages' clients ask */
  namesrv: string;
  /** the ACL account's access key the clients sign with (its secret is never shown) */
  accessKey?: string;
}

export const EMBEDDED_TARGET: TrafficTarget = { kind: 'embedded' };
