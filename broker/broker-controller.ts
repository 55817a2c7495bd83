/**
 * One broker: its store, its remoting listener and its request processors (B/BrokerController.java).
 * Runs inside broker/main.ts as its own process; tests may run it in-process.
 */
import path from 'node:path';
import { z } from 'zod';
import { BrokerIdentitySchema, BrokerSettingsSchema, describeSettingsError, type BrokerIdentity, type BrokerSettings, type BrokerSettingsPatch } from './config/broker-config.js';
import { parseBrokerConf, toBrokerConf } from './config/properties.js';
import { RequestCode, ResponseCode } from './protocol/codes.js';
import { createResponse, type RemotingCommand } from './protocol/remoting-command.js';
import { createSendMessageProcessor } from './processors/send-message-processor.js';
import { RemotingServer } from './remoting/remoting-server.js';
import { FileLayer } from './io/file-layer.js';
import { DefaultMessageStore } from './store/message-store.js';
import type { StoreEvents } from './store/types.js';
import { ClientRegistry } from './client-registry.js';
import { createHeartbeatProcessor, createUnregisterClientProcessor, notifyConsumerIdsChanged } from './processors/client-manage-processor.js';
import { newTopicConfig } from './store/topic-config-manager.js';

export const BrokerOptionsSchema = z.object({
  identity: BrokerIdentitySchema,
  settings: BrokerSettingsSchema,
});
export type BrokerOptions = z.infer<typeof BrokerOptionsSchema>;

export interface BrokerListeners extends StoreEvents {
  settingsChanged?(settings: BrokerSettings): void;
  badFrame?(reason: string): void;
}

export class BrokerController {
  settings: BrokerSettings;
  readonly identity: BrokerIdentity;
  readonly fileLayer: FileLayer;
  store!: DefaultMessageStore;
  readonly remoting: RemotingServer;
  /** producers and consumers known from their heartbeats */
  readonly clients = new ClientRegistry({ consumerIdsChanged: notifyConsumerIdsChanged });
  private readonly timers: NodeJS.Timeout[] = [];
  port = 0;

  constructor(options: BrokerOptions, private readonly listeners: BrokerListeners = {}) {
    this.identity = options.identity;
    this.settings = options.settings;
    this.fileLayer = new FileLayer({ slowDiskDelayMs: () => this.settings.slowDiskDelayMs });
    this.remoting = new RemotingServer({
      badFrame: (_, reason) => listeners.badFrame?.(reason),
      connectionClosed: (connection) => this.clients.connectionClosed(connection),
    });
  }

  async start(): Promise<void> {
    // Listen first on the wanted port so the store's host address (part of every offsetMsgId) is known.
    this.port = await this.remoting.listen(this.identity.listenPort, this.identity.brokerIP1);
    this.store = await DefaultMessageStore.open({
      storePathRootDir: this.identity.storePathRootDir,
      storeHost: { ip: this.identity.brokerIP1, port: this.port },
      settings: () => this.settings,
      fileLayer: this.fileLayer,
      events: this.listeners,
    });
    const send = createSendMessageProcessor({
      writeQueueNums: (topic) => this.store.topics.getOrCreate(topic, this.settings.defaultTopicQueueNums).writeQueueNums,
      putMessage: (message) => this.store.putMessage(message),
    });
    this.remoting.register(RequestCode.SEND_MESSAGE, send);
    this.remoting.register(RequestCode.SEND_MESSAGE_V2, send);
    this.remoting.register(RequestCode.UPDATE_BROKER_CONFIG, (request) => this.updateBrokerConfig(request));
    this.remoting.register(RequestCode.GET_BROKER_CONFIG, (request) =>
      createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(toBrokerConf(this.settings)) }));
    this.remoting.register(RequestCode.GET_BROKER_RUNTIME_INFO, (request) =>
      createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(JSON.stringify({ table: this.runtimeInfo() })) }));
    this.registerClientProcessors();
  }

  /** Heartbeats, consumer groups, offsets and pulls: the broker side of consumption. */
  private registerClientProcessors(): void {
    const clientManage = {
      registry: this.clients,
      ensureRetryTopic: (topic: string) => {
        if (!this.store.topics.selectTopicConfig(topic)) this.store.topics.updateTopicConfig(newTopicConfig(topic, 1));
      },
    };
    this.remoting.register(RequestCode.HEART_BEAT, createHeartbeatProcessor(clientManage));
    this.remoting.register(RequestCode.UNREGISTER_CLIENT, createUnregisterClientProcessor(clientManage));
    this.timers.push(setInterval(() => this.clients.scanNotActive(), 10_000).unref());
  }

  /** Applies a validated patch; flushDiskType and brokerRole take effect on the next put. */
  applySettings(patch: BrokerSettingsPatch): BrokerSettings {
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
    };
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
    for (const timer of this.timers) clearInterval(timer);
    await this.remoting.close();
    await this.store?.shutdown();
  }
}
