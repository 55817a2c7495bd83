/**
 * One broker: its store, its remoting listener and its request processors (B/BrokerController.java).
 * Runs inside broker/main.ts as its own process; tests may run it in-process.
 */
import path from 'node:path';
import { z } from 'zod';
import { BrokerIdentitySchema, BrokerSettingsSchema, CONTROLLER_KEYS, RemotingServerConfigSchema, describeSettingsError, type BrokerIdentity, type BrokerSettings, type BrokerSettingsPatch } from './config/broker-config.js';
import { identityConf, parseBrokerConf, toBrokerConf } from './config/properties.js';
import { PutMessageStatus, RequestCode, ResponseCode, RETRY_QUEUE_NUMS } from './protocol/codes.js';
import { createResponse, type RemotingCommand } from './protocol/remoting-command.js';
import { createSendMessageProcessor } from './processors/send-message-processor.js';
import { RemotingServer } from './remoting/remoting-server.js';
import { systemClock, type Clock, type Timer } from './io/clock.js';
import { FileLayer } from './io/file-layer.js';
import type { Disk } from './io/disk.js';
import { systemRandom, type Random } from './io/prng.js';
import { realTransport, type Transport } from './io/transport.js';
import { DefaultMessageStore } from './store/message-store.js';
import type { MessageInner, PutMessageResult, StoreEvents } from './store/types.js';
import { ClientRegistry } from './client-registry.js';
import { createHeartbeatProcessor, createUnregisterClientProcessor, notifyConsumerIdsChanged } from './processors/client-manage-processor.js';
import { newTopicConfig } from './store/topic-config-manager.js';
import { PullRequestHoldService, createPullMessageProcessor } from './processors/pull-message-processor.js';
import { createConsumerManageProcessors } from './processors/consumer-manage-processor.js';
import { BrokerReplication, truncateForRebuild } from './ha/broker-replication.js';
import type { HaListeners, HaStats } from './ha/ha-types.js';
import { readRejoinTruncation, recordRejoinTruncation, removeRejoinTruncation, truncateCommitLogFiles } from './ha/store-truncation.js';
import { BrokerOuterAPI } from './broker-outer-api.js';
import { createUpdateAndCreateTopicProcessor } from './processors/admin-topic-processor.js';
import { ScheduleMessageService } from './store/schedule-message-service.js';
import { TransactionalMessageService } from './transaction/transactional-message-service.js';
import { TransactionalMessageCheckService } from './transaction/transactional-message-check-service.js';
import { createEndTransactionProcessor } from './processors/end-transaction-processor.js';
import { createConsumerSendMsgBackProcessor, createSendMessageBeforePut } from './processors/consumer-send-msg-back-processor.js';
import { LabBugListSchema } from './lab-bugs.js';
import { PlainAclConfigSchema, aclGate } from './acl/plain-access-validator.js';
import { EpochFile, type EpochEntry } from './ha/epoch-file.js';
import { ReplicasManager } from './ha/replicas-manager.js';

export const BrokerOptionsSchema = z.object({
  identity: BrokerIdentitySchema,
  settings: BrokerSettingsSchema,
  /** replication start-up options (broker/ha/) */
  ha: z.object({
    /** cut the commit log to this offset before opening the store (rebuild / rejoin as a slave) */
    truncateCommitLogTo: z.number().int().min(0).optional(),
    /** HAClient retry period; RocketMQ's is 5000 ms, tests shorten it */
    reconnectIntervalMs: z.number().int().min(10).max(60_000).optional(),
  }).optional(),
  /** deliberate bugs switched on in this process (broker/lab-bugs.ts): a lab flag, never a setting */
  labBugs: LabBugListSchema.optional(),
  /** the client port's connection hygiene (RocketMQ's NettyServerConfig); absent = the defaults */
  remoting: RemotingServerConfigSchema.partial().optional(),
  /** RocketMQ 4.x's ACL (aclEnable=true with plain_acl.yml's accounts): every request signed and checked; absent = off */
  acl: PlainAclConfigSchema.optional(),
}).refine((o) => !o.settings.enableControllerMode || o.identity.controllerAddr !== undefined, {
  message: 'controllerAddr: enableControllerMode is true, so controllerAddr must name the controller (host:port)',
  path: ['identity', 'controllerAddr'],
});
export type BrokerOptions = z.infer<typeof BrokerOptionsSchema>;

/**
 * Where the broker's time, chance, files and sockets come from. A broker process uses the real ones
 * (the defaults); the simulator (server/sim/) passes its own, and every service the controller creates
 * gets them from here.
 */
export interface BrokerControllerDeps {
  clock?: Clock;
  random?: Random;
  /** the store's files (realDisk unless simulated) */
  disk?: Disk;
  /** the sockets: the client port, the name-server registration, the HA link (realTransport unless simulated) */
  transport?: Transport;
}

export interface BrokerListeners extends StoreEvents, HaListeners {
  settingsChanged?(settings: BrokerSettings): void;
  badFrame?(reason: string): void;
  /** a client connection closed by a limit of options.remoting (idle, unfinished frame, cap, memory) */
  connectionShed?(message: string): void;
  /** controller mode: the replica must restart (its log is cut to the consistent point first, at the start) */
  restartRequested?(reason: string): void;
}

export class BrokerController {
  settings: BrokerSettings;
  readonly identity: BrokerIdentity;
  readonly clock: Clock;
  readonly random: Random;
  private readonly transport: Transport;
  readonly fileLayer: FileLayer;
  store!: DefaultMessageStore;
  readonly remoting: RemotingServer;
  /** producers and consumers known from their heartbeats */
  readonly clients: ClientRegistry;
  private readonly timers: Timer[] = [];
  /** pulls held until a message arrives (long polling) */
  readonly pullHoldService: PullRequestHoldService;
  /** registration with the name servers, when namesrvAddr is set */
  private outerAPI: BrokerOuterAPI | undefined;
  port = 0;
  replication!: BrokerReplication;
  /** what the start-up truncation did, when one was asked for */
  truncation: ReturnType<typeof truncateCommitLogFiles> | undefined;
  /** delayed messages (retries included): SCHEDULE_TOPIC_XXXX → real topic when due */
  scheduleMessageService: ScheduleMessageService | undefined;
  /** half messages, END_TRANSACTION and check-backs */
  transactionalMessageService: TransactionalMessageService | undefined;
  private transactionalMessageCheckService: TransactionalMessageCheckService | undefined;
  /** controller mode: the replica's role with the controller; undefined in classic mode */
  replicas: ReplicasManager | undefined;
  epochFile: EpochFile | undefined;

  constructor(private readonly options: BrokerOptions, private readonly listeners: BrokerListeners = {}, deps: BrokerControllerDeps = {}) {
    this.identity = options.identity;
    this.settings = options.settings;
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? systemRandom;
    this.transport = deps.transport ?? realTransport;
    this.clients = new ClientRegistry({ consumerIdsChanged: notifyConsumerIdsChanged }, this.clock);
    this.pullHoldService = new PullRequestHoldService(this.clock);
    this.fileLayer = new FileLayer({ clock: this.clock, disk: deps.disk, slowDiskDelayMs: () => this.settings.slowDiskDelayMs });
    this.remoting = new RemotingServer({
      badFrame: (_, reason) => listeners.badFrame?.(reason),
      connectionClosed: (connection) => this.clients.connectionClosed(connection),
      ...(listeners.connectionShed ? { connectionShed: listeners.connectionShed } : {}),
      ...(options.acl ? { gate: aclGate(options.acl) } : {}),
    }, options.remoting, this.clock, this.transport);
  }

  async start(): Promise<void> {
    // Listen first on the wanted port so the store's host address (part of every offsetMsgId) is known.
    this.port = await this.remoting.listen(this.identity.listenPort, this.identity.brokerIP1);
    // RocketMQ 5's controller mode, read once: its keys are fixed for the life of the process (applySettings).
    const controllerMode = this.settings.enableControllerMode;
    if (controllerMode) {
      if (this.identity.brokerId < 1) throw new Error(`brokerId: in controller mode it is the replica's id with the controller, 1 or more (got ${this.identity.brokerId})`);
      // Fenced until the controller names a master: a replica takes no send before it knows its role.
      this.settings = { ...this.settings, brokerRole: 'SLAVE' };
    }
    const truncateTo = this.options.ha?.truncateCommitLogTo;
    if (truncateTo !== undefined) this.truncation = truncateForRebuild(this.fileLayer.disk, this.identity.storePathRootDir, truncateTo);
    const asked = controllerMode ? readRejoinTruncation(this.fileLayer.disk, this.identity.storePathRootDir) : undefined;
    if (asked) this.truncation = truncateCommitLogFiles(this.fileLayer.disk, this.identity.storePathRootDir, asked.truncateTo);
    this.store = await DefaultMessageStore.open({
      storePathRootDir: this.identity.storePathRootDir,
      storeHost: { ip: this.identity.brokerIP1, port: this.port },
      settings: () => this.settings,
      fileLayer: this.fileLayer,
      clock: this.clock,
      labBugs: new Set(this.options.labBugs ?? []),
      events: {
        ...this.listeners,
        stored: (event) => {
          this.listeners.stored?.(event);
          this.replication?.onStored(event.commitLogOffset, event.size, event.storeTimestamp);
        },
      },
    });
    this.replication = new BrokerReplication({
      store: this.store,
      identity: this.identity,
      settings: () => this.settings,
      setRole: (role) => {
        this.settings = { ...this.settings, brokerRole: role };
        this.listeners.settingsChanged?.(this.settings);
      },
      listeners: this.listeners,
      clock: this.clock,
      transport: this.transport,
      reconnectIntervalMs: this.options.ha?.reconnectIntervalMs,
      labBugs: new Set(this.options.labBugs ?? []),
      ...(controllerMode ? { controllerMode: this.controllerModeHa() } : {}),
    });
    await this.replication.start();
    if (controllerMode) {
      this.epochFile = new EpochFile(this.fileLayer.disk, this.identity.storePathRootDir);
      if (asked) {
        this.epochFile.replaceWith(asked.epochs, this.store.maxPhyOffset());
        removeRejoinTruncation(this.fileLayer.disk, this.identity.storePathRootDir);
      }
    }
    const send = createSendMessageProcessor({
      writeQueueNums: (topic) => this.store.topics.getOrCreate(topic, this.settings.defaultTopicQueueNums).writeQueueNums,
      beforePut: createSendMessageBeforePut({ settings: () => this.settings, ensureTopic: (topic, queueNums) => this.ensureTopic(topic, queueNums) }),
      putMessage: async (message) => this.putIfTaking(message),
      clock: this.clock,
      random: this.random,
    });
    this.remoting.register(RequestCode.SEND_MESSAGE, send);
    this.remoting.register(RequestCode.SEND_MESSAGE_V2, send);
    this.remoting.register(RequestCode.UPDATE_BROKER_CONFIG, (request) => this.updateBrokerConfig(request));
    this.remoting.register(RequestCode.GET_BROKER_CONFIG, (request) =>
      createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(`${toBrokerConf(this.settings)}${identityConf(this.identity, this.port)}aclEnable=${this.options.acl !== undefined}\n`) }));
    this.remoting.register(RequestCode.GET_BROKER_RUNTIME_INFO, (request) =>
      createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(JSON.stringify({ table: this.runtimeInfo() })) }));
    this.remoting.register(RequestCode.GET_BROKER_HA_STATUS, (request) =>
      createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(JSON.stringify(this.haStats())) }));
    this.remoting.register(RequestCode.ZL_PROMOTE_SLAVE, (request) => this.promoteSlave(request));
    this.remoting.register(RequestCode.GET_BROKER_EPOCH_CACHE, (request) => createResponse(request, ResponseCode.SUCCESS, {
      body: Buffer.from(JSON.stringify({
        clusterName: this.identity.brokerClusterName, brokerName: this.identity.brokerName, brokerId: this.identity.brokerId,
        epochList: this.epochFile?.all() ?? [], maxOffset: this.store.maxPhyOffset(),
      })),
    }));
    this.registerClientProcessors();
    this.registerRetryAndTransactionProcessors();
    if (this.identity.namesrvAddr) {
      this.outerAPI = new BrokerOuterAPI(this.identity.namesrvAddr, {
        clusterName: this.identity.brokerClusterName,
        brokerName: this.identity.brokerName,
        brokerId: () => this.registrationBrokerId(),
        brokerAddr: `${this.identity.brokerIP1}:${this.port}`,
        haServerAddr: () => this.haServerAddr(),
        topics: () => this.store.topics.all(),
        stateVersion: () => this.replicas?.masterEpoch ?? 0,
      }, this.clock, this.transport, (message) => console.error(`[broker] ${message}`));
      this.outerAPI.start();
    }
    if (controllerMode) this.startReplicasManager(this.identity.controllerAddr!);
  }

  /** What HAService asks of controller mode, answered by the ReplicasManager once it exists. */
  private controllerModeHa() {
    return {
      selfId: this.identity.brokerId,
      isMaster: () => this.replicas?.isMaster ?? false,
      members: () => this.replicas?.inSyncMembers() ?? new Set<number>(),
      allAckInSyncStateSet: () => this.settings.allAckInSyncStateSet,
      inSyncReplicas: () => this.settings.inSyncReplicas,
      confirmOffset: () => this.replicas?.confirmOffset() ?? this.store.maxPhyOffset(),
      slaveAck: (brokerId: number, ack: number) => this.replicas?.onSlaveAck(brokerId, ack),
      slaveGone: (brokerId: number) => this.replicas?.onSlaveGone(brokerId),
    };
  }

  private startReplicasManager(controllerAddr: string): void {
    const haPort = this.replication.haPort;
    this.replicas = new ReplicasManager({
      clusterName: this.identity.brokerClusterName,
      brokerName: this.identity.brokerName,
      brokerId: this.identity.brokerId,
      brokerAddress: `${this.identity.brokerIP1}:${this.port}`,
      haAddress: this.identity.haAdvertisedAddress ?? `${this.identity.brokerIP1}:${haPort}`,
      controllerAddr: controllerAddr.split(';')[0]!,
      epochFile: this.epochFile!,
      actions: {
        becomeMaster: () => this.replication.becomeMaster(),
        fence: () => this.replication.fence(),
        follow: (address) => this.replication.follow(address),
        wholeRecordsEnd: () => this.replication.wholeRecordsEnd(),
        slaveAcks: () => this.replication.slaveAcks(),
        slaveCaughtUp: () => this.replication.slaveCaughtUp(),
        maxPhyOffset: () => this.store.maxPhyOffset(),
        storeConfirmOffset: (offset) => this.store.setConfirmOffset(offset),
      },
      settings: () => this.settings,
      clock: this.clock,
      transport: this.transport,
      roleChanged: () => {
        this.listeners.settingsChanged?.(this.settings);
        void this.outerAPI?.registerBrokerAll();
      },
      restartTruncating: (truncateTo, epochs, reason) => this.restartTruncating(truncateTo, epochs, reason),
      log: (kind, message) => {
        const event = { kind: kind === 'role' ? ('role.changed' as const) : kind === 'syncStateSet' ? ('syncStateSet.changed' as const) : ('controller' as const), atMs: this.clock.nowMs(), message };
        try {
          this.listeners.haEvent?.(event);
        } catch (error) {
          console.error('[broker] haEvent listener failed', error);
        }
      },
    });
    this.remoting.register(RequestCode.NOTIFY_BROKER_ROLE_CHANGED, (request) => this.replicas!.onNotify(request));
    this.replicas.start();
  }

  /**
   * Controller mode: this replica's log goes past the consistent point with its master. The cut is
   * recorded durably, the process is asked to restart, and the start-up truncation makes it before
   * the store opens (so the consume queues are rebuilt from the cut log).
   */
  private restartTruncating(truncateTo: number, epochs: EpochEntry[], reason: string): void {
    this.replication.fence();
    recordRejoinTruncation(this.fileLayer.disk, this.identity.storePathRootDir, { truncateTo, epochs });
    this.listeners.restartRequested?.(reason);
  }

  /**
   * A put, unless this broker does not take sends now: a SLAVE (or a fenced replica) refuses with
   * SERVICE_NOT_AVAILABLE; in controller mode a SyncStateSet smaller than minInSyncReplicas refuses
   * with IN_SYNC_REPLICAS_NOT_ENOUGH before anything is written.
   */
  private putIfTaking(message: MessageInner): Promise<PutMessageResult> {
    const refusal = this.replication.sendRefusal();
    if (refusal) return Promise.resolve({ status: PutMessageStatus.SERVICE_NOT_AVAILABLE, remark: refusal });
    const min = this.settings.minInSyncReplicas;
    if (this.replicas && this.replicas.inSyncReplicasNums() < min) {
      return Promise.resolve({ status: PutMessageStatus.IN_SYNC_REPLICAS_NOT_ENOUGH, remark: `in-sync replicas not enough: the SyncStateSet holds ${this.replicas.inSyncReplicasNums()}, minInSyncReplicas is ${min}` });
    }
    return this.store.putMessage(message);
  }

  /** The HA address the name server hands to slaves; empty until replication listens. */
  haServerAddr(): string {
    const port = this.replication?.haPort;
    return port ? `${this.identity.brokerIP1}:${port}` : '';
  }

  /**
   * The brokerId registered with the name server: the identity's, except that a promoted slave
   * registers as 0, the group's master id, so the route changes and producers follow (producers only
   * use groups with a brokerId-0 master). The identity's brokerId itself stays as given.
   */
  registrationBrokerId(): number {
    if (this.replicas) return this.replicas.isMaster ? 0 : this.identity.brokerId;
    return this.replication?.promotion && this.settings.brokerRole !== 'SLAVE' ? 0 : this.identity.brokerId;
  }

  /**
   * Delay levels, CONSUMER_SEND_MSG_BACK (36), END_TRANSACTION (37) and their background services
   * (ScheduleMessageService, TransactionalMessageCheckService; both idle on a SLAVE).
   */
  private registerRetryAndTransactionProcessors(): void {
    const putMessage = (message: MessageInner): Promise<PutMessageResult> => this.putIfTaking(message);
    this.remoting.register(RequestCode.CONSUMER_SEND_MSG_BACK, createConsumerSendMsgBackProcessor({
      settings: () => this.settings,
      lookMessageByOffset: (offset) => this.store.lookMessageByOffset(offset),
      putMessage,
      ensureTopic: (topic, queueNums) => this.ensureTopic(topic, queueNums),
      random: this.random,
    }));
    this.transactionalMessageService = new TransactionalMessageService({
      store: this.store,
      settings: () => this.settings,
      clock: this.clock,
      sendCheck: (group, request) => {
        const channels = this.clients.producerChannels(group);
        if (channels.length === 0) return false;
        channels[this.random.int(channels.length)].connection.sendOneway(request);
        return true;
      },
    });
    this.transactionalMessageService.ensureSystemTopics();
    this.remoting.register(RequestCode.END_TRANSACTION, createEndTransactionProcessor({ service: this.transactionalMessageService, settings: () => this.settings }));
    this.transactionalMessageCheckService = new TransactionalMessageCheckService(this.transactionalMessageService, () => this.settings, this.clock);
    this.transactionalMessageCheckService.start();
    this.scheduleMessageService = new ScheduleMessageService({ store: this.store, settings: () => this.settings, clock: this.clock });
    this.scheduleMessageService.start();
  }

  /**
   * createTopicInSendMessageBackMethod: a topic with `queueNums` read/write queues, if absent. A new
   * one is registered with the name servers at once, as RocketMQ's registerIncrementBrokerData does
   * before the request that created it is answered: the promise settles when they have answered.
   * Creating it throws at once (a store that cannot write its topic table).
   */
  private ensureTopic(topic: string, queueNums: number): Promise<void> {
    if (this.store.topics.selectTopicConfig(topic)) return Promise.resolve();
    this.store.topics.updateTopicConfig(newTopicConfig(topic, queueNums));
    return this.registerTopicsNow();
  }

  /** Registers with the name servers now rather than at the next period (a topic was created or changed). */
  private registerTopicsNow(): Promise<void> {
    return this.outerAPI?.registerBrokerAll() ?? Promise.resolve();
  }

  /** Heartbeats, consumer groups, offsets and pulls: the broker side of consumption. */
  private registerClientProcessors(): void {
    const clientManage = {
      registry: this.clients,
      ensureRetryTopic: (topic: string) => this.ensureTopic(topic, RETRY_QUEUE_NUMS),
    };
    this.remoting.register(RequestCode.UPDATE_AND_CREATE_TOPIC, createUpdateAndCreateTopicProcessor({
      topics: () => this.store.topics,
      isMaster: () => this.settings.brokerRole !== 'SLAVE',
      registered: () => this.registerTopicsNow(),
    }));
    this.remoting.register(RequestCode.HEART_BEAT, createHeartbeatProcessor(clientManage));
    this.remoting.register(RequestCode.UNREGISTER_CLIENT, createUnregisterClientProcessor(clientManage));

    const offsets = createConsumerManageProcessors({ store: this.store, registry: this.clients });
    this.remoting.register(RequestCode.GET_CONSUMER_LIST_BY_GROUP, offsets.consumerList);
    this.remoting.register(RequestCode.QUERY_CONSUMER_OFFSET, offsets.queryOffset);
    this.remoting.register(RequestCode.UPDATE_CONSUMER_OFFSET, offsets.updateOffset);
    this.remoting.register(RequestCode.GET_MAX_OFFSET, offsets.maxOffset);
    this.remoting.register(RequestCode.GET_MIN_OFFSET, offsets.minOffset);
    this.remoting.register(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, offsets.searchOffset);

    this.remoting.register(RequestCode.PULL_MESSAGE, createPullMessageProcessor({
      store: this.store,
      holdService: this.pullHoldService,
      role: () => this.settings.brokerRole,
      suggestWhichBrokerId: () => this.identity.brokerId,
    }));
    const previous = this.store.onDispatched;
    this.store.onDispatched = (topic, queueId, maxOffset) => {
      previous?.(topic, queueId, maxOffset);
      this.pullHoldService.notifyMessageArriving(topic, queueId, maxOffset);
    };
    this.timers.push(this.clock.setInterval(() => this.clients.scanNotActive(), 10_000).unref());
  }

  /** Applies a validated patch; flushDiskType and brokerRole take effect on the next put. */
  applySettings(patch: BrokerSettingsPatch): BrokerSettings {
    const fixed = CONTROLLER_KEYS.filter((key) => key in patch && patch[key] !== this.settings[key]);
    if (fixed.length > 0) throw new Error(`${fixed.join(', ')}: fixed for the life of the broker process, as in RocketMQ; restart the broker with the new value`);
    this.replication?.checkRoleChange(patch);
    this.settings = BrokerSettingsSchema.parse({ ...this.settings, ...patch });
    this.listeners.settingsChanged?.(this.settings);
    return this.settings;
  }


  runtimeInfo(): Record<string, string> {
    return {
      brokerName: this.identity.brokerName,
      brokerId: String(this.identity.brokerId),
      commitLogMaxOffset: String(this.store.maxPhyOffset()),
      commitLogFlushedOffset: String(this.store.flushedPhyOffset()),
      unflushedBytes: String(this.store.unflushedBytes()),
      flushDiskType: this.settings.flushDiskType,
      brokerRole: this.settings.brokerRole,
      storePathRootDir: path.resolve(this.identity.storePathRootDir),
      ...this.haRuntimeInfo(),
      ...Object.fromEntries(Object.entries(this.transactionalMessageService?.stats() ?? {}).map(([k, v]) => [k, String(v)])),
      scheduleMessageDelivered: String(this.scheduleMessageService?.deliveredTotal ?? 0),
    };
  }

  /** The replication figures, with what the controller told this replica in controller mode. */
  haStats(): HaStats {
    const stats = this.replication.stats();
    return this.replicas ? { ...stats, controller: this.replicas.view() } : stats;
  }

  /** Replication figures in GET_BROKER_RUNTIME_INFO (4.x exposes commitLogMaxOffset; these are Zeroloss's). */
  private haRuntimeInfo(): Record<string, string> {
    const ha = this.replication?.stats();
    if (!ha) return {};
    const info: Record<string, string> = {
      haConnectionState: ha.connectionState,
      haSlaveAckOffset: String(ha.slaveAckOffset),
      haReplicationLagBytes: String(ha.lagBytes),
      haReplicationLagMessages: String(ha.lagMessages),
      haReplicationLagMs: String(ha.lagMs),
      haBadFrames: String(ha.badFrames),
    };
    if (ha.haPort !== undefined) info.haListenPort = String(ha.haPort);
    if (ha.masterAddress) info.haMasterAddress = ha.masterAddress;
    if (ha.divergence) info.haDivergence = ha.divergence.reason;
    if (ha.promotedAtOffset !== undefined) info.haPromotedAtOffset = String(ha.promotedAtOffset);
    return info;
  }

  /** Promotes this SLAVE (ZL_PROMOTE_SLAVE, and the admin request the control plane sends). */
  async promote(brokerRole: 'SYNC_MASTER' | 'ASYNC_MASTER'): Promise<{ haPort: number; promotedAtOffset: number }> {
    const promoted = await this.replication.promote(brokerRole);
    void this.outerAPI?.registerBrokerAll();
    return promoted;
  }

  private async promoteSlave(request: RemotingCommand): Promise<RemotingCommand> {
    const role = request.extFields?.brokerRole ?? 'ASYNC_MASTER';
    if (role !== 'SYNC_MASTER' && role !== 'ASYNC_MASTER') {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: `brokerRole "${role}" is not a master role: use SYNC_MASTER or ASYNC_MASTER` });
    }
    try {
      const promoted = await this.promote(role);
      return createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(JSON.stringify(promoted)) });
    } catch (error) {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: (error as Error).message });
    }
  }

  /** UPDATE_BROKER_CONFIG (25): body is properties text, as `mqadmin updateBrokerConfig` sends it. */
  private updateBrokerConfig(request: RemotingCommand): RemotingCommand {
    try {
      const { patch } = parseBrokerConf(request.body?.toString('utf8') ?? '');
      this.applySettings(patch);
      return createResponse(request, ResponseCode.SUCCESS);
    } catch (error) {
      const remark = error instanceof z.ZodError ? describeSettingsError(error) : (error as Error).message;
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark });
    }
  }

  async shutdown(): Promise<void> {
    for (const timer of this.timers) timer.cancel();
    this.replicas?.shutdown();
    await this.outerAPI?.shutdown();
    this.pullHoldService.shutdown();
    await this.remoting.close();
    await this.transactionalMessageCheckService?.shutdown();
    await this.scheduleMessageService?.shutdown();
    await this.replication?.shutdown();
    await this.store?.shutdown();
  }
}
