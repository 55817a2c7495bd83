/**
 * The one settings schema of Zeroloss. Every key is RocketMQ's own name with RocketMQ's default
 * (RocketMQ 4.x BrokerConfig, MessageStoreConfig and DefaultMQProducer; docs/architecture.md lists the departures), except where a comment says why not.
 * The dashboard form, tRPC, the broker processes and the drills all parse this schema.
 */
import { z } from 'zod';

export const FlushDiskType = { SYNC_FLUSH: 'SYNC_FLUSH', ASYNC_FLUSH: 'ASYNC_FLUSH' } as const;
export type FlushDiskType = (typeof FlushDiskType)[keyof typeof FlushDiskType];

export const BrokerRole = { ASYNC_MASTER: 'ASYNC_MASTER', SYNC_MASTER: 'SYNC_MASTER', SLAVE: 'SLAVE' } as const;
export type BrokerRole = (typeof BrokerRole)[keyof typeof BrokerRole];

const MiB = 1024 * 1024;
const ms = (name: string, fallback: number, min = 1) =>
  z.number({ error: `${name} must be a number of milliseconds` }).int(`${name} must be a whole number of milliseconds`)
    .min(min, `${name} must be at least ${min} ms`).max(3_600_000, `${name} must be at most 3600000 ms`).default(fallback);
const count = (name: string, fallback: number, min: number, max: number) =>
  z.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`).default(fallback);

export const storageSettings = {
  /** SYNC_FLUSH answers a send only after an fdatasync covers it; ASYNC_FLUSH answers after the page cache. */
  flushDiskType: z.enum(['SYNC_FLUSH', 'ASYNC_FLUSH'], { error: 'flushDiskType must be SYNC_FLUSH or ASYNC_FLUSH' }).default('ASYNC_FLUSH'),
  syncFlushTimeout: ms('syncFlushTimeout', 5000),
  flushIntervalCommitLog: ms('flushIntervalCommitLog', 500),
  /** pages of 4 KiB that must be dirty before a periodic async flush */
  flushCommitLogLeastPages: count('flushCommitLogLeastPages', 4, 0, 1_000_000),
  flushCommitLogThoroughInterval: ms('flushCommitLogThoroughInterval', 10_000),
  flushIntervalConsumeQueue: ms('flushIntervalConsumeQueue', 1000),
  /** RocketMQ's default is 1 GiB; 64 MiB here so a lab's data stays small. Never change it with data on disk. */
  mappedFileSizeCommitLog: count('mappedFileSizeCommitLog', 64 * MiB, 4096, 1024 * MiB),
  mappedFileSizeConsumeQueue: z.number({ error: 'mappedFileSizeConsumeQueue must be a number' }).int('mappedFileSizeConsumeQueue must be a whole number')
    .min(320, 'mappedFileSizeConsumeQueue must be at least 320').max(100 * MiB, `mappedFileSizeConsumeQueue must be at most ${100 * MiB}`)
    .refine((n) => n % 20 === 0, 'mappedFileSizeConsumeQueue must be a multiple of 20 bytes').default(300_000 * 20),
  maxMessageSize: count('maxMessageSize', 4 * MiB, 1024, 64 * MiB),
  defaultTopicQueueNums: count('defaultTopicQueueNums', 4, 1, 1024),
  /** Zeroloss fault knob, not a RocketMQ key: delay added before every fdatasync (the slow-disk drill). */
  slowDiskDelayMs: count('slowDiskDelayMs', 0, 0, 60_000),
};

export const replicationSettings = {
  brokerRole: z.enum(['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'], { error: 'brokerRole must be ASYNC_MASTER, SYNC_MASTER or SLAVE' }).default('ASYNC_MASTER'),
  slaveTimeout: ms('slaveTimeout', 3000),
  haMaxGapNotInSync: count('haMaxGapNotInSync', 256 * MiB, 0, 2 ** 40),
  haSendHeartbeatInterval: ms('haSendHeartbeatInterval', 5000),
  haHousekeepingInterval: ms('haHousekeepingInterval', 20_000),
  haTransferBatchSize: count('haTransferBatchSize', 32 * 1024, 1024, 16 * MiB),
};

export const producerSettings = {
  sendMsgTimeout: ms('sendMsgTimeout', 3000),
  retryTimesWhenSendFailed: count('retryTimesWhenSendFailed', 2, 0, 16),
  retryTimesWhenSendAsyncFailed: count('retryTimesWhenSendAsyncFailed', 2, 0, 16),
  retryAnotherBrokerWhenNotStoreOK: z.boolean({ error: 'retryAnotherBrokerWhenNotStoreOK must be true or false' }).default(false),
  sendLatencyFaultEnable: z.boolean({ error: 'sendLatencyFaultEnable must be true or false' }).default(false),
};

export type ProducerSettings = { [K in keyof typeof producerSettings]: z.infer<(typeof producerSettings)[K]> };

/** The keys of one group of settings (`shape`, e.g. producerSettings), taken from a larger object. */
function keysOf<T>(shape: Record<keyof T, unknown>, settings: T): T {
  return Object.fromEntries((Object.keys(shape) as (keyof T)[]).map((k) => [k, settings[k]])) as T;
}

/** The producer's keys of the settings: what every lab producer (the traffic runner's, the simulator's) runs with. */
export function producerSettingsOf(settings: ProducerSettings): ProducerSettings {
  return keysOf<ProducerSettings>(producerSettings, settings);
}

export const consumerSettings = {
  maxReconsumeTimes: count('maxReconsumeTimes', 16, 0, 10_000),
  messageDelayLevel: z.string().regex(/^(\d+[smhd])( \d+[smhd])*$/, 'messageDelayLevel must be space-separated durations such as "1s 5s 1m"')
    .default('1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h'),
};

/** BrokerConfig's transaction keys (4.x defaults); short values may be configured for drills. */
export const transactionSettings = {
  /** a half message younger than this is not checked yet */
  transactionTimeOut: ms('transactionTimeOut', 6000),
  /** checks of one half message before it is discarded to TRANS_CHECK_MAX_TIME_TOPIC */
  transactionCheckMax: count('transactionCheckMax', 15, 1, 10_000),
  /** period of the check service (4.x 60 s; 5.1.1+ 30 s) */
  transactionCheckInterval: ms('transactionCheckInterval', 60_000),
};

/**
 * RocketMQ 5's controller mode, a broker's side (BrokerConfig and MessageStoreConfig keys with
 * RocketMQ's defaults; docs/architecture.md#controller-mode). Read when the broker starts and fixed
 * for the life of the process: a broker refuses to change them live, the control plane restarts the
 * cluster to apply them. With enableControllerMode the controller decides each replica's role:
 * brokerRole is then the role a replica has, not a choice.
 */
export const controllerModeSettings = {
  enableControllerMode: z.boolean({ error: 'enableControllerMode must be true or false' }).default(false),
  brokerHeartbeatInterval: ms('brokerHeartbeatInterval', 1000, 10),
  syncBrokerMetadataPeriod: ms('syncBrokerMetadataPeriod', 5000, 10),
  checkSyncStateSetPeriod: ms('checkSyncStateSetPeriod', 5000, 10),
  haMaxTimeSlaveNotCatchup: ms('haMaxTimeSlaveNotCatchup', 15_000, 10),
  inSyncReplicas: count('inSyncReplicas', 1, 1, 3),
  minInSyncReplicas: count('minInSyncReplicas', 1, 1, 3),
  allAckInSyncStateSet: z.boolean({ error: 'allAckInSyncStateSet must be true or false' }).default(false),
};
export type ControllerModeConfig = { [K in keyof typeof controllerModeSettings]: z.infer<(typeof controllerModeSettings)[K]> };

/**
 * The controller's own keys (RocketMQ's ControllerConfig, its defaults). The controller process runs
 * them (broker/controller/controller-server.ts parses the same definitions); a broker carries them
 * unused and they are never judged on a broker.
 */
export const controllerSettings = {
  enableElectUncleanMaster: z.boolean({ error: 'enableElectUncleanMaster must be true or false' }).default(false),
  controllerHeartBeatTimeoutMills: ms('controllerHeartBeatTimeoutMills', 10_000, 100),
  scanNotActiveBrokerInterval: ms('scanNotActiveBrokerInterval', 5000, 50),
};
export type ControllerSettings = { [K in keyof typeof controllerSettings]: z.infer<(typeof controllerSettings)[K]> };

/** The controller's keys of the settings: what the controller process runs with. */
export function controllerSettingsOf(settings: ControllerSettings): ControllerSettings {
  return keysOf<ControllerSettings>(controllerSettings, settings);
}

/** Every key of controller mode, the broker's and the controller's: fixed for the life of a process. */
export const CONTROLLER_KEYS = [...Object.keys(controllerModeSettings), ...Object.keys(controllerSettings)] as (keyof ControllerModeConfig | keyof ControllerSettings)[];

export const BrokerSettingsSchema = z.object({
  ...storageSettings,
  ...replicationSettings,
  ...producerSettings,
  ...consumerSettings,
  ...transactionSettings,
  ...controllerModeSettings,
  ...controllerSettings,
}).strict();
export type BrokerSettings = z.infer<typeof BrokerSettingsSchema>;

/** A partial update: only the keys given change, no defaults are filled in. Unknown keys are refused by name. */
export const BrokerSettingsPatchSchema = z.object(
  Object.fromEntries(Object.entries(BrokerSettingsSchema.shape).map(([key, schema]) => [key, schema.unwrap().optional()])) as {
    [K in keyof typeof BrokerSettingsSchema.shape]: z.ZodOptional<ReturnType<(typeof BrokerSettingsSchema.shape)[K]['unwrap']>>;
  },
).strict();
export type BrokerSettingsPatch = z.infer<typeof BrokerSettingsPatchSchema>;

/**
 * One line per problem, each naming the field and the rule: "syncFlushTimeout: must be at least 1 ms".
 * A problem with the value as a whole is named `whole`.
 */
export function describeSettingsError(error: z.ZodError, whole = 'settings'): string {
  return error.issues.map((issue) => {
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : whole);
    return issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`;
  }).join('; ');
}

export function defaultSettings(): BrokerSettings {
  return BrokerSettingsSchema.parse({});
}

/**
 * The remoting listener's connection hygiene (RocketMQ's NettyServerConfig), for the broker's client
 * port and the name server alike. Fixed for the life of a process: set with ZL_REMOTING on the
 * control plane (docs/cli.md). RocketMQ names only the idle timeout; the other three are Zeroloss's
 * bounds against a peer that holds a connection open with a frame it never finishes
 * (docs/security.md#broker-connections).
 */
export const RemotingServerConfigSchema = z.object({
  /** RocketMQ's all-idle close: nothing read and nothing written for this long (clients heartbeat every 30 s) */
  serverChannelMaxIdleTimeSeconds: count('serverChannelMaxIdleTimeSeconds', 120, 1, 86_400),
  /** a frame must be whole this long after its first byte arrived, or the connection is closed */
  serverFrameCompleteTimeoutMillis: ms('serverFrameCompleteTimeoutMillis', 30_000, 10),
  /** connections one listener holds at once; one more is closed as it is accepted */
  serverMaxConnections: count('serverMaxConnections', 1024, 1, 65_535),
  /** bytes of unfinished frames one listener buffers over all its connections; past it, the oldest are shed */
  serverPartialFramesMaxBytes: count('serverPartialFramesMaxBytes', 64 * MiB, 64 * 1024, 1024 * MiB),
}).strict();
export type RemotingServerConfig = z.infer<typeof RemotingServerConfigSchema>;


/** Identity and placement of one broker process; fixed for the life of the process. */
export const BrokerIdentitySchema = z.object({
  brokerClusterName: z.string().min(1).default('DefaultCluster'),
  brokerName: z.string().min(1).default('broker-a'),
  brokerId: z.number().int().min(0).default(0),
  /** 0 = pick a free port; RocketMQ's default is 10911. */
  listenPort: z.number().int().min(0).max(65535).default(10911),
  brokerIP1: z.literal('127.0.0.1').default('127.0.0.1'),
  /** name servers to register with, `host:port;host:port` (RocketMQ's namesrvAddr); none = stand-alone */
  namesrvAddr: z.string().regex(/^[\w.-]+:\d{1,5}(;[\w.-]+:\d{1,5})*$/, 'namesrvAddr must be host:port, several separated by ;').optional(),
  storePathRootDir: z.string().min(1),
  /**
   * HA listen port of a master. 0 = a free port (reported in the 'ready' IPC message); RocketMQ
   * derives listenPort + 1 (10912), which would collide between parallel lab brokers.
   */
  haListenPort: z.number().int().min(0).max(65535).default(0),
  /** host:port a SLAVE replicates from (RocketMQ's haMasterAddress; in the lab, the fault proxy in front of the master). */
  haMasterAddress: z.string().regex(/^[\w.-]+:\d{1,5}$/, 'haMasterAddress must be host:port').optional(),
  /** controller mode: the controller (RocketMQ's controllerAddr, `host:port;host:port`); required with enableControllerMode */
  controllerAddr: z.string().regex(/^[\w.-]+:\d{1,5}(;[\w.-]+:\d{1,5})*$/, 'controllerAddr must be host:port, several separated by ;').optional(),
  /** controller mode: the HA address this replica gives the controller for its slaves (in the lab, its fault proxy); default its own */
  haAdvertisedAddress: z.string().regex(/^[\w.-]+:\d{1,5}$/, 'haAdvertisedAddress must be host:port').optional(),
});
export type BrokerIdentity = z.infer<typeof BrokerIdentitySchema>;

export type SettingGroup = 'storage' | 'replication' | 'producer' | 'consumer' | 'transaction' | 'controller';
/** How a change takes effect: in Zeroloss, and on a stock RocketMQ broker (docs/rocketmq-semantics.md#broker-settings). */
export interface SettingInfo {
  group: SettingGroup;
  summary: string;
  live: boolean;
  stockRocketMQ: 'live' | 'restart' | 'client';
  /** the process that runs the key, when it is not the broker (a broker carries it unused) */
  runBy?: 'controller';
}

export const settingInfo: Record<keyof BrokerSettings, SettingInfo> = {
  flushDiskType: { group: 'storage', live: true, stockRocketMQ: 'restart', summary: 'SYNC_FLUSH acknowledges a send only after fdatasync covered it; ASYNC_FLUSH after the page cache.' },
  syncFlushTimeout: { group: 'storage', live: true, stockRocketMQ: 'live', summary: 'How long a SYNC_FLUSH send waits for its fdatasync before the answer is FLUSH_DISK_TIMEOUT.' },
  flushIntervalCommitLog: { group: 'storage', live: true, stockRocketMQ: 'live', summary: 'Period of the ASYNC_FLUSH flush loop.' },
  flushCommitLogLeastPages: { group: 'storage', live: true, stockRocketMQ: 'live', summary: 'Dirty 4 KiB pages needed before a periodic ASYNC_FLUSH flush runs.' },
  flushCommitLogThoroughInterval: { group: 'storage', live: true, stockRocketMQ: 'live', summary: 'At least this often ASYNC_FLUSH flushes everything, however few pages are dirty.' },
  flushIntervalConsumeQueue: { group: 'storage', live: true, stockRocketMQ: 'live', summary: 'Period of the consume-queue flush loop.' },
  mappedFileSizeCommitLog: { group: 'storage', live: false, stockRocketMQ: 'restart', summary: 'Size of one commit-log segment file. Never change it with data on disk.' },
  mappedFileSizeConsumeQueue: { group: 'storage', live: false, stockRocketMQ: 'restart', summary: 'Size of one consume-queue file (20-byte entries).' },
  maxMessageSize: { group: 'storage', live: true, stockRocketMQ: 'live', summary: 'Largest body accepted; bigger sends get MESSAGE_ILLEGAL.' },
  defaultTopicQueueNums: { group: 'storage', live: true, stockRocketMQ: 'live', summary: 'Queues given to a topic created on first send.' },
  slowDiskDelayMs: { group: 'storage', live: true, stockRocketMQ: 'live', summary: 'Zeroloss fault: delay added before every fdatasync, to provoke FLUSH_DISK_TIMEOUT.' },
  brokerRole: { group: 'replication', live: true, stockRocketMQ: 'restart', summary: 'SYNC_MASTER acknowledges after a slave has the message; ASYNC_MASTER does not wait.' },
  slaveTimeout: { group: 'replication', live: true, stockRocketMQ: 'live', summary: 'How long a SYNC_MASTER send waits for the slave before FLUSH_SLAVE_TIMEOUT.' },
  haMaxGapNotInSync: { group: 'replication', live: true, stockRocketMQ: 'live', summary: 'A slave further behind than this many bytes is not in sync: SYNC_MASTER answers SLAVE_NOT_AVAILABLE.' },
  haSendHeartbeatInterval: { group: 'replication', live: true, stockRocketMQ: 'live', summary: 'Idle heartbeat period of the replication link.' },
  haHousekeepingInterval: { group: 'replication', live: true, stockRocketMQ: 'live', summary: 'A replication link silent this long is closed.' },
  haTransferBatchSize: { group: 'replication', live: true, stockRocketMQ: 'live', summary: 'Most commit-log bytes in one replication frame.' },
  sendMsgTimeout: { group: 'producer', live: true, stockRocketMQ: 'client', summary: 'One time budget for a send, over all its attempts.' },
  retryTimesWhenSendFailed: { group: 'producer', live: true, stockRocketMQ: 'client', summary: 'Extra attempts of a sync send after an exception.' },
  retryTimesWhenSendAsyncFailed: { group: 'producer', live: true, stockRocketMQ: 'client', summary: 'Extra attempts of an async send after an exception.' },
  retryAnotherBrokerWhenNotStoreOK: { group: 'producer', live: true, stockRocketMQ: 'client', summary: 'Retry a sync send on another broker when the status is not SEND_OK.' },
  sendLatencyFaultEnable: { group: 'producer', live: true, stockRocketMQ: 'client', summary: 'Avoid a broker group for a while after it answered slowly or failed (30 s to 10 min by latency).' },
  maxReconsumeTimes: { group: 'consumer', live: true, stockRocketMQ: 'client', summary: 'Failed deliveries before a message goes to the DLQ.' },
  messageDelayLevel: { group: 'consumer', live: false, stockRocketMQ: 'restart', summary: 'Delay of each retry level.' },
  transactionTimeOut: { group: 'transaction', live: true, stockRocketMQ: 'live', summary: 'A half message without a commit or rollback is checked back with its producer once it is this old.' },
  transactionCheckMax: { group: 'transaction', live: true, stockRocketMQ: 'live', summary: 'Check-backs of one half message before it is discarded to TRANS_CHECK_MAX_TIME_TOPIC (never delivered).' },
  transactionCheckInterval: { group: 'transaction', live: true, stockRocketMQ: 'live', summary: 'Period of the transaction check service.' },
  enableControllerMode: { group: 'controller', live: false, stockRocketMQ: 'restart', summary: 'RocketMQ 5: a controller elects each group\'s master from its SyncStateSet when the master is lost; replicas truncate to the common point when they rejoin.' },
  brokerHeartbeatInterval: { group: 'controller', live: false, stockRocketMQ: 'restart', summary: 'How often a replica heartbeats to the controller.' },
  syncBrokerMetadataPeriod: { group: 'controller', live: false, stockRocketMQ: 'restart', summary: 'How often a replica reads its group\'s master and SyncStateSet from the controller.' },
  checkSyncStateSetPeriod: { group: 'controller', live: false, stockRocketMQ: 'restart', summary: 'How often a master checks whether a slave must leave the SyncStateSet.' },
  haMaxTimeSlaveNotCatchup: { group: 'controller', live: false, stockRocketMQ: 'restart', summary: 'A slave not caught up for this long leaves the SyncStateSet.' },
  inSyncReplicas: { group: 'controller', live: false, stockRocketMQ: 'restart', summary: 'Replicas (the master included) that must have a message before it is SEND_OK, unless allAckInSyncStateSet.' },
  minInSyncReplicas: { group: 'controller', live: false, stockRocketMQ: 'restart', summary: 'A master whose SyncStateSet is smaller refuses sends: IN_SYNC_REPLICAS_NOT_ENOUGH.' },
  allAckInSyncStateSet: { group: 'controller', live: false, stockRocketMQ: 'restart', summary: 'Every SyncStateSet member must have a message before SEND_OK; consumers see only up to the confirm offset.' },
  enableElectUncleanMaster: { group: 'controller', live: false, stockRocketMQ: 'restart', runBy: 'controller', summary: 'Elect a replica outside the SyncStateSet when no member is alive: writes resume, what only the old master held is lost.' },
  controllerHeartBeatTimeoutMills: { group: 'controller', live: false, stockRocketMQ: 'restart', runBy: 'controller', summary: 'A replica silent this long is inactive; a group whose master is inactive gets a new one.' },
  scanNotActiveBrokerInterval: { group: 'controller', live: false, stockRocketMQ: 'restart', runBy: 'controller', summary: 'How often the controller looks for inactive replicas.' },
};
