/** The API: one router per domain noun (a file each in this folder), combined here. */
import { createCallerFactory, router } from './trpc';
import { settingsRouter } from './settings';
import { consumersRouter, trafficRouter } from './traffic';
import { topicsRouter } from './topics';
import { clusterRouter } from './cluster';
import { drillsRouter } from './drills';
import { messagesRouter } from './messages';

export const appRouter = router({
  settings: settingsRouter,
  traffic: trafficRouter,
  consumers: consumersRouter,
  topics: topicsRouter,
  cluster: clusterRouter,
  drills: drillsRouter,
  messages: messagesRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
