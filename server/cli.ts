/**
 * The `zeroloss` command.
 *
 *   zeroloss start      the dashboard with its cluster (what `npm start` runs)
 *   zeroloss cluster    the cluster alone, for your own RocketMQ clients: a name server on 127.0.0.1:9876,
 *                       broker-a's master on 127.0.0.1:10911 and its slave (or --groups N --replicas R);
 *                       prints `ready namesrv=… master=… slave=… brokers=…`
 *   zeroloss drill      one crash drill headless (server/drills/cli.ts)
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ensureSetup } from './setup';
import { parseBrokerConf } from '../broker/config/properties';
import { BrokerSettingsPatchSchema, describeSettingsError, type BrokerSettingsPatch, type RemotingServerConfig } from '../broker/config/broker-config';
import { DRILL_OPTIONS, DRILL_USAGE_LINE } from './drills/cli-usage';
import type { LabBug } from '../broker/lab-bugs';
import { readServerEnvironment, type ServerEnvironment } from './environment';
import { EnvironmentError } from '../broker/config/environment';
import { UsageError } from './cli-args';
import { DEFAULT_TOPOLOGY, TopologySchema, type Topology } from './cluster/topology';
import { refusalOnThisMachine } from './cluster/machine-fit';
import { parsePlainAclText } from '../broker/acl/plain-acl-file';
import { adminAccount, type PlainAclConfig } from '../broker/acl/plain-access-validator';

const CLUSTER_OPTIONS = `  --namesrv-port N         the name server's port (default 9876, or NAMESRV_PORT); 0 picks a free port
  --broker-port N          the master's remoting port (default 10911, or BROKER_PORT); 0 picks a free port
  --data-dir DIR           where the stores live (default data, or ZL_DATA_DIR); a cluster with its own
                           directory keeps its settings database there too (unless DATABASE_URL is set)
  --flush-disk-type T      SYNC_FLUSH | ASYNC_FLUSH
  --broker-role R          SYNC_MASTER | ASYNC_MASTER
  --groups N               broker groups broker-a, broker-b, … (default 1); broker-b's master on the
                           broker port + 1, and so on
  --replicas R             replicas per group, 1 to 3: a master alone, master + slave (default), master + 2 slaves
  --no-slave               start only each group's master (or ZL_START_SLAVE=0)
  --controller-mode        RocketMQ 5's controller mode (enableControllerMode=true): a controller elects
                           each group's master; with --replicas 3, one group of three replicas
  --restart-crashed MS     start a broker replica that crashed again after MS milliseconds, as a service
                           manager would (systemd Restart=on-failure): for drills run against this
                           cluster from outside (zeroloss drill --target external); default off
  --acl-file FILE          RocketMQ 4.x's ACL on every broker (aclEnable=true): the accounts of FILE, in
                           RocketMQ's plain_acl.yml form or as JSON; every request must be signed by one
                           (docs/external-clusters.md#acl); the cluster's own admin requests use its first
                           admin account
  --set KEY=VALUE          any setting by its RocketMQ name (allAckInSyncStateSet=true,
                           enableElectUncleanMaster=true, …); repeatable
  -h, --help               the cluster's usage`;

const USAGE = `usage: zeroloss <command> [options]

zeroloss start
  Serves the dashboard with its cluster, as npm start does. Environment: HOST, PORT (127.0.0.1:3000),
  BROKER_PORT (10911), NAMESRV_PORT (9876), ZL_START_SLAVE (0 = no slave), DATABASE_URL, ZL_DATA_DIR.

zeroloss cluster [options]
  Runs the name server and the broker groups without the dashboard, for your own RocketMQ clients;
  prints "ready namesrv=HOST:PORT master=HOST:PORT slave=HOST:PORT brokers=…" and runs until Ctrl-C.
${CLUSTER_OPTIONS}

${DRILL_USAGE_LINE}
  Runs one crash drill headless on a cluster of its own and judges it.
${DRILL_OPTIONS}

zeroloss user add <name> --role viewer|operator|drill|admin   (also: user passwd <name>, user remove <name>, user list)
  Manages the dashboard's users in its database; the password comes from ZL_PASSWORD or is asked twice.

zeroloss --help    this page`;

interface ClusterOptions {
  namesrvPort: number;
  brokerPort: number;
  dataDir: string;
  startSlave: boolean;
  topology: Topology;
  patch: BrokerSettingsPatch;
  /** ZL_LAB_BUGS: deliberate bugs (broker/lab-bugs.ts) in every process of the cluster */
  labBugs: LabBug[];
  /** ZL_REMOTING: the listeners' connection limits */
  remoting: Partial<RemotingServerConfig>;
  /** --restart-crashed: start a crashed replica again after this many ms */
  restartCrashedMs?: number;
  /** --acl-file: RocketMQ 4.x's ACL on every broker (aclEnable=true with these accounts) */
  acl?: PlainAclConfig;
}

const CLUSTER_USAGE = `usage: zeroloss cluster [options]

  Starts the name server (default 127.0.0.1:9876) and the broker groups headless: by default broker-a,
  its master on 127.0.0.1:10911 and its slave; port 0 picks a free port. Prints one line
    ready namesrv=HOST:PORT master=HOST:PORT slave=HOST:PORT brokers=broker-a/0@HOST:PORT,…
  (master and slave are broker-a's; brokers lists every replica running, with its role) and runs until
  SIGTERM or SIGINT, then stops every child.

options:
${CLUSTER_OPTIONS}`;

function parseClusterArgs(args: string[]): ClusterOptions {
  // The environment gives the defaults the options override; a bad variable is a usage error too.
  let env: Pick<ServerEnvironment, 'NAMESRV_PORT' | 'BROKER_PORT' | 'ZL_DATA_DIR' | 'ZL_START_SLAVE' | 'ZL_LAB_BUGS' | 'ZL_REMOTING'>;
  try {
    env = readServerEnvironment('NAMESRV_PORT', 'BROKER_PORT', 'ZL_DATA_DIR', 'ZL_START_SLAVE', 'ZL_LAB_BUGS', 'ZL_REMOTING');
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    throw new UsageError(error.message);
  }
  const options: ClusterOptions = {
    namesrvPort: env.NAMESRV_PORT,
    brokerPort: env.BROKER_PORT,
    dataDir: env.ZL_DATA_DIR,
    startSlave: env.ZL_START_SLAVE,
    topology: { ...DEFAULT_TOPOLOGY },
    patch: {},
    labBugs: env.ZL_LAB_BUGS,
    remoting: env.ZL_REMOTING,
  };
  const port = (name: string, value: string | undefined) => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${name} must be a port number from 0 to 65535, got ${value ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = args[i + 1];
    switch (arg) {
      case '--namesrv-port': options.namesrvPort = port(arg, value); i++; break;
      case '--broker-port': options.brokerPort = port(arg, value); i++; break;
      case '--data-dir':
        if (!value) throw new UsageError('--data-dir needs a directory');
        options.dataDir = value;
        i++;
        break;
      case '--flush-disk-type':
      case '--broker-role': {
        const key = arg === '--flush-disk-type' ? 'flushDiskType' : 'brokerRole';
        const parsed = BrokerSettingsPatchSchema.safeParse({ [key]: value });
        if (!parsed.success || value === 'SLAVE') throw new UsageError(`${arg} ${value ?? ''}: ${parsed.success ? 'the master cannot be a SLAVE' : describeSettingsError(parsed.error)}`);
        Object.assign(options.patch, parsed.data);
        i++;
        break;
      }
      case '--restart-crashed': {
        const n = Number(value);
        if (value === undefined || !/^\d+$/.test(value) || n > 600_000) throw new UsageError(`--restart-crashed takes milliseconds from 0 to 600000, got ${value ?? 'nothing'}`);
        options.restartCrashedMs = n;
        i++;
        break;
      }
      case '--groups':
      case '--replicas': {
        const key = arg === '--groups' ? 'groups' : 'replicas';
        const n = Number(value);
        const parsed = TopologySchema.shape[key].safeParse(value === undefined || value.trim() === '' ? undefined : n);
        if (!parsed.success) throw new UsageError(`${arg} ${value ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        options.topology[key] = parsed.data;
        i++;
        break;
      }
      case '--no-slave': options.startSlave = false; break;
      case '--acl-file':
        if (!value) throw new UsageError('--acl-file needs a file (plain_acl.yml, or the same as JSON)');
        try {
          options.acl = parsePlainAclText(fs.readFileSync(value, 'utf8'), value);
        } catch (error) {
          throw new UsageError(`--acl-file ${(error as Error).message}`);
        }
        i++;
        break;
      case '--controller-mode': options.patch.enableControllerMode = true; break;
      case '--set': {
        if (!value || !value.includes('=')) throw new UsageError('--set needs KEY=VALUE, a setting by its RocketMQ name');
        let parsed: ReturnType<typeof parseBrokerConf>;
        try {
          parsed = parseBrokerConf(value);
        } catch (error) {
          throw new UsageError(`--set ${value}: ${error instanceof z.ZodError ? describeSettingsError(error) : (error as Error).message}`);
        }
        if (parsed.ignoredKeys.length > 0) throw new UsageError(`--set ${value}: ${parsed.ignoredKeys.join(', ')} is not a setting (see the Settings page for every key)`);
        Object.assign(options.patch, parsed.patch);
        i++;
        break;
      }
      default: throw new UsageError(`unknown option ${arg}`);
    }
  }
  const refusal = refusalOnThisMachine(options.topology);
  if (refusal) throw new UsageError(refusal);
  if (options.acl) {
    if (!adminAccount(options.acl)) throw new UsageError('--acl-file: give one account admin: true; the cluster\'s control plane signs its own admin requests (topics, settings) with it');
    // The replicas' own requests to each other and the controller's notices are not signed yet.
    if (options.patch.enableControllerMode) throw new UsageError('--acl-file with --controller-mode: not yet; controller mode\'s inner requests (a replica\'s epoch-cache read, the controller\'s role notices) are not signed, so the brokers would refuse them');
  }
  return options;
}

async function cluster(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(CLUSTER_USAGE);
    return;
  }
  let options: ClusterOptions;
  try {
    options = parseClusterArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${CLUSTER_USAGE}`);
    process.exitCode = 2;
    return;
  }
  // A cluster with a data directory of its own keeps its settings there too, unless DATABASE_URL says otherwise.
  const ownDatabase = args.includes('--data-dir') && !readServerEnvironment('DATABASE_URL').DATABASE_URL ? `file:${path.resolve(options.dataDir, 'zeroloss.db')}` : undefined;
  if (ownDatabase) fs.mkdirSync(path.resolve(options.dataDir), { recursive: true });
  const { databaseUrl } = ensureSetup({ skipBuild: true, databaseUrl: ownDatabase });
  const [{ createPrisma }, { ControlPlane }] = await Promise.all([import('./db/prisma'), import('./control-plane')]);
  const prisma = createPrisma(databaseUrl);
  const controlPlane = new ControlPlane({ prisma, brokerPort: options.brokerPort, namesrvPort: options.namesrvPort, dataDir: options.dataDir, startSlave: options.startSlave, topology: options.topology, labBugs: options.labBugs, remoting: options.remoting, ...(options.acl ? { acl: options.acl } : {}) });
  const stop = async () => {
    await controlPlane.stop();
    await prisma.$disconnect();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  if (options.restartCrashedMs !== undefined) controlPlane.superviseReplicas(options.restartCrashedMs);
  await controlPlane.start();
  if (Object.keys(options.patch).length > 0) await controlPlane.updateSettings(options.patch);
  await controlPlane.waitForMasters();
  // Every replica is started before start() resolves; a slave that failed is logged and named none.
  const state = controlPlane.state();
  const slave = state.replication?.slave.state === 'running' ? state.replication.slave.address ?? 'none' : 'none';
  const brokers = state.topology.groups.flatMap((g) => g.replicas.filter((r) => r.state === 'running' && r.address).map((r) => `${r.name}@${r.address}(${r.role})`));
  console.log(`ready namesrv=${controlPlane.namesrv.address} master=${state.broker.address} slave=${slave} brokers=${brokers.join(',')}`);
}

const command = process.argv[2];
switch (command) {
  case 'start':
    await import('./main');
    break;
  case 'cluster':
    await cluster(process.argv.slice(3));
    break;
  case 'drill':
    // server/drills/cli.ts reads its options from argv[2..]: drop the command word.
    process.argv.splice(2, 1);
    await import('./drills/cli');
    break;
  case 'user': {
    // Users of the dashboard (server/auth/user-cli.ts): add, passwd, remove, list.
    const { userCommand } = await import('./auth/user-cli');
    process.exitCode = await userCommand(process.argv.slice(3));
    break;
  }
  default:
    console.log(USAGE);
    process.exitCode = command === undefined || command === '--help' || command === '-h' || command === 'help' ? 0 : 2;
    if (process.exitCode === 2) console.error(`unknown command ${command}`);
}
