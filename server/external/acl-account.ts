/**
 * An external cluster's ACL account as the dashboard's forms send it: `accessKey` and `secretKey`,
 * both or neither (RocketMQ's AccessKey/SecretKey, docs/external-clusters.md#acl). The secret lives
 * only as long as what uses it (a run, a traffic target); it is never stored, never in the live state
 * or a run's record, and the audit log redacts it by its field's name.
 */
import { z } from 'zod';
import type { SessionCredentials } from '../../broker/acl/acl-signature';

const blankIsAbsent = (v: string | undefined) => (v === '' ? undefined : v);

export const aclAccountFields = {
  accessKey: z.string({ error: 'accessKey must be text' }).trim().max(256, 'accessKey: at most 256 characters').transform(blankIsAbsent).optional(),
  secretKey: z.string({ error: 'secretKey must be text' }).max(1024, 'secretKey: at most 1024 characters').transform(blankIsAbsent).optional(),
};

type AclAccountInput = { accessKey?: string | undefined; secretKey?: string | undefined };

/** superRefine: an accessKey without its secretKey, or the reverse, names the missing field. */
export function refineAclPair(input: AclAccountInput, ctx: z.RefinementCtx): void {
  if (input.accessKey !== undefined && input.secretKey === undefined) ctx.addIssue({ code: 'custom', path: ['secretKey'], message: 'secretKey: an accessKey needs its secretKey' });
  if (input.secretKey !== undefined && input.accessKey === undefined) ctx.addIssue({ code: 'custom', path: ['accessKey'], message: 'accessKey: a secretKey needs its accessKey' });
}

/** The account the clients sign with; undefined without one. */
export function credentialsOf(input: AclAccountInput): SessionCredentials | undefined {
  return input.accessKey !== undefined && input.secretKey !== undefined ? { accessKey: input.accessKey, secretKey: input.secretKey } : undefined;
}
