/**
 * The error shape the dashboard's forms read (server/routers/trpc.ts, errorFormatter): a request that
 * fails goes through tRPC's own fetch adapter, with the server's procedure builders and formatter,
 * and the JSON a browser would get is checked. `message` stays the one readable sentence per problem;
 * `data.fieldErrors` names the input each problem is about, so no form splits the sentence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { z } from 'zod';
import { BrokerSettingsPatchSchema } from '../../broker/config/broker-config';
import { noInput, publicProcedure, router, type Context, type FieldError } from '../../server/routers/trpc';

/** Queries only: the audit and origin middlewares act on mutations, so no real context is needed. */
const probeRouter = router({
  settings: publicProcedure.input(BrokerSettingsPatchSchema).query(() => 'ok'),
  nested: publicProcedure
    .input(z.object({ traffic: z.object({ rate: z.number().min(1, 'rate must be at least 1 msg/s') }), label: z.string().max(3, 'label must be at most 3 characters') }))
    .query(() => 'ok'),
  refusal: publicProcedure.input(z.object({ message: z.string() })).query(({ input }) => {
    throw new TRPCError({ code: 'NOT_FOUND', message: input.message });
  }),
});

interface ErrorBody {
  error: { message: string; data: { code: string; httpStatus: number; fieldErrors: FieldError[] } };
}

async function failing(path: string, input: unknown): Promise<ErrorBody['error']> {
  const url = `http://lab.test/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
  const response = await fetchRequestHandler({
    endpoint: '/api/trpc',
    req: new Request(url),
    router: probeRouter,
    createContext: () => ({}) as Context,
  });
  const body = (await response.json()) as ErrorBody;
  assert.ok(body.error, `the request failed: ${JSON.stringify(body)}`);
  return body.error;
}

test('trpc errors - a zod input error keeps its one-sentence message and sends each issue as a field error', async () => {
  const error = await failing('settings', { flushDiskType: 'FASTEST', syncFlushTimeout: -1 });
  assert.equal(error.data.code, 'BAD_REQUEST');
  assert.match(error.message, /^flushDiskType must be SYNC_FLUSH or ASYNC_FLUSH; syncFlushTimeout/);
  assert.deepEqual(error.data.fieldErrors.map((f) => f.path), [['flushDiskType'], ['syncFlushTimeout']]);
  assert.equal(error.data.fieldErrors[0]!.message, 'flushDiskType must be SYNC_FLUSH or ASYNC_FLUSH');
  assert.equal(error.message.split('; ')[1], error.data.fieldErrors[1]!.message, 'the sentence and the field error say the same');
});

test('trpc errors - a nested input field keeps its whole path', async () => {
  const error = await failing('nested', { traffic: { rate: 0 }, label: 'long' });
  assert.deepEqual(error.data.fieldErrors, [
    { path: ['traffic', 'rate'], message: 'rate must be at least 1 msg/s' },
    { path: ['label'], message: 'label must be at most 3 characters' },
  ]);
  assert.equal(error.message, 'traffic.rate: rate must be at least 1 msg/s; label must be at most 3 characters');
});

test('trpc errors - a refusal whose message starts with a field name is a field error on that field', async () => {
  const message = 'topic: no topic Nope on the name server (create it on the Topics page)';
  const error = await failing('refusal', { message });
  assert.equal(error.data.code, 'NOT_FOUND');
  assert.equal(error.message, message, 'the message is passed on as thrown');
  assert.deepEqual(error.data.fieldErrors, [{ path: ['topic'], message }]);
});

test('trpc errors - a refusal that names no field has no field error', async () => {
  for (const message of ['the broker is not running', 'cannot publish: the broker is crashed', 'EIO: i/o error, write (injected)']) {
    const error = await failing('refusal', { message });
    assert.equal(error.message, message);
    assert.deepEqual(error.data.fieldErrors, [], message);
  }
});

test('trpc inputs - every procedure of the app declares its input; one that takes none refuses any', async () => {
  const { appRouter } = await import('../../server/routers/app-router');
  const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { inputs: unknown[] } }>);
  assert.ok(procedures.length > 40, `the app's procedures were found (${procedures.length})`);
  const undeclared = procedures.filter(([, p]) => p._def.inputs.length === 0).map(([path]) => path);
  assert.deepEqual(undeclared, [], 'procedures without an input parser accept any input unchecked');
  const probe = router({ none: publicProcedure.input(noInput).query(() => 'ok') });
  const ask = (input?: string) => fetchRequestHandler({
    endpoint: '/api/trpc', req: new Request(`http://lab.test/api/trpc/none${input === undefined ? '' : `?input=${encodeURIComponent(input)}`}`), router: probe, createContext: () => ({}) as Context,
  }).then((r) => r.json() as Promise<{ result?: unknown; error?: { message: string } }>);
  assert.ok((await ask()).result, 'no input at all passes');
  assert.ok((await ask('null')).result, 'null (what a client sends for none) passes');
  assert.match((await ask('{"a":1}')).error?.message ?? '', /this procedure takes no input/);
});
