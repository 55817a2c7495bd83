/**
 * The `zeroloss` command.
 *
 *   zeroloss start      the dashboard with its cluster (what `npm start` runs)
 *   zeroloss cluster    the cluster alone, for your own RocketMQ clients: a name server on 127.0.0.1:9876
 *                       (NAMESRV_PORT), the master on 127.0.0.1:10911 (BROKER_PORT) and its slave
 *                       (ZL_START_SLAVE=0 leaves it off); Ctrl-C stops it all
 */
import { ensureSetup } from './setup';

const USAGE = `usage: zeroloss <start | cluster | drill>

  start     serve the dashboard with its cluster (HOST, PORT, BROKER_PORT, NAMESRV_PORT)
  cluster   run the name server, master and slave only, for your own RocketMQ clients
  drill     run one crash drill headless on a cluster of its own (zeroloss drill --help)`;

async function cluster(): Promise<void> {
  const { databaseUrl } = ensureSetup({ skipBuild: true });
  const [{ createPrisma }, { ControlPlane }] = await Promise.all([import('./db/prisma'), import('./control-plane')]);
  const prisma = createPrisma(databaseUrl);
  const controlPlane = new ControlPlane({
    prisma,
    brokerPort: Number(process.env.BROKER_PORT ?? 10911),
    namesrvPort: Number(process.env.NAMESRV_PORT ?? 9876),
    dataDir: process.env.ZL_DATA_DIR ?? 'data',
    startSlave: process.env.ZL_START_SLAVE !== '0',
  });
  const stop = async () => {
    console.log('[zeroloss] stopping the cluster ...');
    await controlPlane.stop();
    await prisma.$disconnect();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  await controlPlane.start();
  const state = controlPlane.state();
  console.log(`[zeroloss] name server  ${controlPlane.namesrv.address}   (point your clients here: nameSrv / namesrvAddr)`);
  console.log(`[zeroloss] master       ${state.broker.address} (${state.settings.flushDiskType}, ${state.settings.brokerRole})`);
  if (state.replication?.slave) console.log(`[zeroloss] slave        ${state.replication.slave.state}`);
  console.log('[zeroloss] topic TopicTest exists; Ctrl-C stops everything');
}

const command = process.argv[2];
switch (command) {
  case 'start':
    await import('./main');
    break;
  case 'cluster':
    await cluster();
    break;
  case 'drill':
    // server/drills/cli.ts reads its options from argv[2..]: drop the command word.
    process.argv.splice(2, 1);
    await import('./drills/cli');
    break;
  default:
    console.log(USAGE);
    process.exitCode = command === undefined || command === '--help' || command === 'help' ? 0 : 2;
}
