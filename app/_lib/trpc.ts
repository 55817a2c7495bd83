'use client';
/**
 * The typed tRPC client of the dashboard. Only the router's *type* is imported: no server code is
 * bundled into the browser.
 */
import { createTRPCReact, type inferReactQueryProcedureOptions } from '@trpc/react-query';
import type { TRPCClientErrorLike } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/routers/app-router';

export const trpc = createTRPCReact<AppRouter>();

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type ReactQueryOptions = inferReactQueryProcedureOptions<AppRouter>;
export type ApiError = TRPCClientErrorLike<AppRouter>;

/** The server's readable message ("rate must be at least 1 msg/s"), or a fallback sentence. */
export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string' && error.message) {
    return error.message;
  }
  return 'The request failed. Is the Zeroloss server running?';
}

