/** The API: one router per domain noun (a file each in this folder), combined here. */
import { createCallerFactory, router } from './trpc';
import { settingsRouter } from './settings';
import { consumersRouter, trafficRouter } from './traffic';
import { topicsRouter } from './topics';
import { clusterRouter } from './cluster';
import { drillsRouter } from './drills';
import { simRouter } from './sim';
import { messagesRouter } from './messages';
import { authRouter, tokensRouter, usersRouter } from './auth';
import { auditRouter } from './audit';
import { externalRouter } from './external';

export const appRouter = router({
  settings: settingsRouter,
  traffic: trafficRouter,
  consumers: consumersRouter,
  topics: topicsRouter,
  cluster: clusterRouter,
  drills: drillsRouter,
  sim: simRouter,
  messages: messagesRouter,
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
  audit: auditRouter,
  external: externalRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
