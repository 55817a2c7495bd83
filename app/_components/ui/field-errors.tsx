'use client';
/**
 * Server-side validation errors beside the fields they name: tRPC's errorFormatter sends one issue
 * per problem ({ path, message }); each field shows its own sentence under it and points at it with
 * aria-describedby, so a screen reader reads the rule with the field.
 */
import type { ApiError } from '../../_lib/trpc';

export type FieldIssues = ReadonlyMap<string, string>;

export function fieldIssues(error: ApiError | null | undefined): FieldIssues {
  const issues = (error?.data as { issues?: { path: string[]; message: string }[] | null } | undefined)?.issues ?? [];
  const out = new Map<string, string>();
  for (const issue of issues) {
    const field = issue.path[0];
    if (typeof field === 'string' && !out.has(field)) out.set(field, issue.message);
  }
  return out;
}

/** The error sentence a plain message names for a field ("topic: no topic X …"), for non-zod refusals. */
export function messageField(error: ApiError | null | undefined, fields: readonly string[]): FieldIssues {
  const message = error?.message ?? '';
  const m = /^([A-Za-z]+): (.*)$/s.exec(message);
  if (m && fields.includes(m[1])) return new Map([[m[1], message]]);
  return new Map();
}

export function mergeIssues(...all: FieldIssues[]): FieldIssues {
  const out = new Map<string, string>();
  for (const issues of all) for (const [k, v] of issues) if (!out.has(k)) out.set(k, v);
  return out;
}

/** aria attributes of an input whose field has an issue. */
export function invalidProps(issues: FieldIssues, name: string, idPrefix: string) {
  const id = `${idPrefix}-${name}-error`;
  return issues.has(name) ? { 'aria-invalid': true as const, 'aria-errormessage': id, 'aria-describedby': id } : {};
}

export function FieldError({ issues, name, idPrefix }: { issues: FieldIssues; name: string; idPrefix: string }) {
  const message = issues.get(name);
  if (!message) return null;
  return (
    <span id={`${idPrefix}-${name}-error`} data-testid={`${idPrefix}-${name}-error`} className="mt-1 block text-xs font-medium text-red-700 dark:text-red-300">
      {message}
    </span>
  );
}

/** "Why is this disabled": a short line beside a disabled control. */
export function DisabledReason({ reason, testId }: { reason: string | undefined | false; testId?: string }) {
  if (!reason) return null;
  return (
    <span data-testid={testId} className="text-xs text-slate-600 dark:text-slate-400">
      {reason}
    </span>
  );
}
