'use client';
/**
 * Server-side errors beside the fields they name: tRPC's errorFormatter (server/routers/trpc.ts)
 * sends `data.fieldErrors`, one { path, message } per problem, for a zod input error and for a refusal
 * that names its field. Each field shows its own sentence under it and points at it with
 * aria-describedby, so a screen reader reads the rule with the field.
 */
import type { ApiError } from '../../_lib/trpc';

export type FieldIssues = ReadonlyMap<string, string>;

/**
 * The first sentence for each of this form's fields (the first element of each path). A problem with
 * a field the form does not have is left to the form's general error line.
 */
export function fieldIssues(error: ApiError | null | undefined, fields: readonly string[]): FieldIssues {
  const out = new Map<string, string>();
  for (const { path, message } of error?.data?.fieldErrors ?? []) {
    const field = path[0];
    if (field !== undefined && fields.includes(field) && !out.has(field)) out.set(field, message);
  }
  return out;
}

/** aria attributes of an input whose field has an issue. */
export function invalidProps(issues: FieldIssues, name: string, idPrefix: string) {
  const id = `${idPrefix}-${name}-error`;
  return issues.has(name) ? { 'aria-invalid': true as const, 'aria-errormessage': id, 'aria-describedby': id } : {};
}

/** The field's sentence under it; `announce` makes it an alert (a form with no general error line). */
export function FieldError({ issues, name, idPrefix, announce = false }: { issues: FieldIssues; name: string; idPrefix: string; announce?: boolean }) {
  const message = issues.get(name);
  if (!message) return null;
  return (
    <span id={`${idPrefix}-${name}-error`} data-testid={`${idPrefix}-${name}-error`} role={announce ? 'alert' : undefined} className="mt-1 block text-xs font-medium text-red-700 dark:text-red-300">
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
