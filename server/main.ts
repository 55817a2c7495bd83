/**
 * `npm start`: one control-plane process on one port (default 127.0.0.1:3000; HOST and PORT change
 * it) serving the Next.js dashboard, tRPC at /api/trpc and the live WebSocket at /api/live, and
 * supervising the broker and traffic processes. Ctrl-C stops every child.
 */
import http from 'node:http';
import { ensureSetup } from './setup';
import { PROJECT_ROOT } from './cluster/child-process';
import { securityConfig } from './auth/security-config';
import { readServerEnvironment } from './environment';
import { EnvironmentError, exportVariable } from '../broker/config/environment';
import type { LabBug } from '../broker/lab-bugs';
import { LIVE_PATH } from './live/types';
import { listenOn } from '../broker/io/transport';

async function main(): Promise<void> {
  // Checked first: a bad variable (a port, a security setting) stops the start before anything is
  // built or listens. ZL_DATA_DIR is where broker stores live (default data/); tests point it at a temp dir.
  const env = readServerEnvironment('HOST', 'PORT', 'BROKER_PORT', 'NAMESRV_PORT', 'ZL_DATA_DIR', 'ZL_START_SLAVE', 'ZL_AUTH', 'ZL_ADMIN_TOKEN', 'ZL_ORIGINS', 'ZL_AUDIT_KEEP_DAYS', 'ZL_AUDIT_KEEP_ROWS', 'ZL_REMOTING');
  const { HOST: host, PORT: port, BROKER_PORT: brokerPort, NAMESRV_PORT: namesrvPort, ZL_DATA_DIR: dataDir } = env;
  const security = securityConfig(env, host);
  // ZL_LAB_BUGS=a,b: deliberate bugs (broker/lab-bugs.ts) in every process the lab starts; an unknown name stops the start.
  let labBugs: LabBug[];
  try {
    labBugs = readServerEnvironment('ZL_LAB_BUGS').ZL_LAB_BUGS;
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    console.error(`[zeroloss] refused to start: ${error.message}`);
    process.exit(2);
  }
  if (labBugs.length > 0) console.log(`[zeroloss] deliberate bugs switched on (ZL_LAB_BUGS): ${labBugs.join(', ')}`);
  const { databaseUrl } = ensureSetup();
  // Prisma's schema names DATABASE_URL, and the processes started from here inherit it.
  exportVariable('DATABASE_URL', databaseUrl);
  // Loaded after setup: the Prisma client is generated there on first run.
  const [{ default: next }, { createHTTPHandler }, { createPrisma }, { createLab }, { appRouter }, { LiveHub }] = await Promise.all([
    import('next'),
    import('@trpc/server/adapters/standalone'),
    import('./db/prisma'),
    import('./lab'),
    import('./routers/app-router'),
    import('./live/live-hub'),
  ]);
  const [{ Security }, { createRequestContext }, { admitTrpcRequest, admitUpgrade, auditTransportRefusal, handleAuditExport, AUDIT_EXPORT_PATH }] = await Promise.all([
    import('./auth/security'),
    import('./routers/context'),
    import('./auth/http-gate'),
  ]);

  const prisma = createPrisma(databaseUrl);
  // The slave broker (HA through the fault proxy) starts with the master; ZL_START_SLAVE=0 leaves it off.
  const lab = createLab({ prisma, brokerPort, namesrvPort, dataDir, startSlave: env.ZL_START_SLAVE, labBugs, remoting: env.ZL_REMOTING });
  const { controlPlane } = lab;
  const nextApp = next({ dev: false, dir: PROJECT_ROOT, hostname: host, port });
  await nextApp.prepare();
  const handleNext = nextApp.getRequestHandler();
  const guard = new Security(prisma, security.options);
  guard.audit.start();
  const handleTrpc = createHTTPHandler({
    router: appRouter, basePath: '/api/trpc/', createContext: ({ req, res }) => createRequestContext(lab, guard, req, res),
    // Refusals before any procedure ran (a wrong method 405, a content type 415, an unknown path, JSON
    // that does not parse) never reach the audit middleware: recorded here, by size only.
    onError: ({ error, req, path }) => void auditTransportRefusal(guard, req, path, error),
  });
  // The upgrade decides who may watch; the hub asks again every few seconds (sign-out, revocation).
  const live = new LiveHub(controlPlane, { stillAllowed: async (req) => 'principal' in (await guard.gate(req, 'viewer', false)) });

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/api/trpc/')) {
      return void admitTrpcRequest(req, res, guard).then((admitted) => admitted && handleTrpc(req, res), (error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`request failed: ${error.message}`);
      });
    }
    if (url === AUDIT_EXPORT_PATH || url.startsWith(`${AUDIT_EXPORT_PATH}?`)) {
      return void handleAuditExport(req, res, guard).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`audit export failed: ${error.message}`);
      });
    }
    if (url === '/api/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ ok: true, broker: controlPlane.state().broker.state }));
    }
    void handleNext(req, res);
  });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== LIVE_PATH) return void socket.destroy();
    socket.on('error', () => socket.destroy());
    // Same origin and at least a viewer, or the upgrade is answered 403 / 401 (server/auth/http-gate.ts).
    admitUpgrade(req, socket, guard).then(
      (admitted) => admitted && live.handleUpgrade(req, socket, head),
      () => socket.destroy(),
    );
  });
  const actualPort = await listenOn(server, port, host);
  const url = `http://${host}:${actualPort}`;
  // "dashboard on" is printed once the cluster is ready (or failed to start): a change made before then
  // would race the starting nodes. Until then the page is up and says the cluster is starting.
  console.log(`[zeroloss] listening on ${url}: the cluster is starting …`);
  if (security.notice) console.log(`[zeroloss] ${security.notice}`);
  else console.log(`[zeroloss] loopback clients without a sign-in are the local admin${security.options.requireLogin ? ' (off: ZL_AUTH=required)' : ''}; others need a sign-in or a token`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[zeroloss] ${signal}: stopping traffic and broker ...`);
    live.close();
    server.close();
    await lab.stop();
    await guard.audit.stop();
    await prisma.$disconnect();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    await controlPlane.start();
    const nodes = controlPlane.nodeSettings().filter((n) => n.running).map((n) => `${n.node} ${n.running!.brokerRole} ${n.running!.flushDiskType}`);
    console.log(`[zeroloss] dashboard on ${url}  (cluster ready: ${nodes.join(', ')}; tRPC /api/trpc, live stream ${LIVE_PATH})`);
  } catch (error) {
    // The control plane keeps serving: the dashboard shows why the broker is down.
    console.error(`[zeroloss] the broker did not start: ${(error as Error).message}`);
    console.log(`[zeroloss] dashboard on ${url}  (the cluster did not start: the dashboard says why)`);
  }
}

main().catch((error) => {
  console.error(`[zeroloss] failed to start: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
