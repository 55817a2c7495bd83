/**
 * Typed confirmations, enforced by the API: a procedure that destroys data or cannot be undone
 * (a power cut, promoting or rebuilding the slave, removing a user, revoking a token) takes the name
 * of its target as `confirm`, as the user typed it in the dashboard's dialog; a call without it, or
 * with another name, is refused before anything happens. docs/security.md (Confirmations).
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';

export const ConfirmSchema = z.string({ error: 'confirm must be the name of the target, typed to confirm' })
  .max(100, 'confirm must be at most 100 characters');

/** Refuses (BAD_REQUEST, on the field confirm) unless `typed` is the target's name. */
export function requireConfirmation(typed: string, target: string): void {
  if (typed !== target) throw new TRPCError({ code: 'BAD_REQUEST', message: `confirm: type "${target}", the name of the target, to confirm` });
}
