/** The console's operating errors as tRPC errors: the sentence is kept, the kind picks the code. */
import { TRPCError } from '@trpc/server';
import { ConsoleError } from './message-console';

export async function asTrpc<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ConsoleError) {
      const code = error.kind === 'not-found' ? 'NOT_FOUND' : error.kind === 'refused' ? 'BAD_REQUEST' : 'PRECONDITION_FAILED';
      throw new TRPCError({ code, message: error.message, cause: error });
    }
    throw error;
  }
}
