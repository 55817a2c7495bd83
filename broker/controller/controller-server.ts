/**
 * The controller of controller mode (RocketMQ 5.x ControllerManager + DLedgerController, one
 * instance): a remoting listener in front of ReplicasInfo (replicas-info.ts) that
 *  - answers the replicas' requests with RocketMQ's request codes and header fields
 *    (CONTROLLER_REGISTER_BROKER, BROKER_HEARTBEAT, CONTROLLER_GET_REPLICA_INFO,
 *    CONTROLLER_ELECT_MASTER, CONTROLLER_ALTER_SYNC_STATE_SET) and the control plane's
 *    (CONTROLLER_GET_SYNC_STATE_DATA);
 *  - scans for inactive replicas every scanNotActiveBrokerInterval and elects a new master for a
 *    group whose master went silent;
 *  - tells every replica of a group its new master or SyncStateSet (NOTIFY_BROKER_ROLE_CHANGED,
 *    oneway, as notifyBrokerRoleChanged does);
 *  - persists the groups' records (masters, epochs, SyncStateSets) with fdatasync before it answers
 *    a change, so a restarted controller answers as the one that was killed.
 *
 * Zeroloss adds three header fields RocketMQ's brokers exchange otherwise (ExchangeHAInfo):
 * haAddress and maxOffset/epoch on registration, masterHaAddress on every answer that names a master.
 */
import path from 'node:path';
import { z } from 'zod';
import { systemClock, type Clock, type Timer } from '../io/clock.js';
import { writeFileAtomicSync, type Disk } from '../io/disk.js';
import { realTransport, type Transport } from '../io/transport.js';
import { DEFAULT_CONTROLLER_PORT, RequestCode, ResponseCode } from '../protocol/codes.js';
import { controllerSettings, type ControllerSettings } from '../config/broker-config.js';
import { createRequest, createResponse, extNumber, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import { RemotingServer } from '../remoting/remoting-server.js';
import { ControllerRefusal, ReplicasInfo, type ControllerDurableState, type ReplicaInfo } from './replicas-info.js';

export const CONTROLLER_STATE_FILE = 'controller.json';

export const ControllerOptionsSchema = z.object({
  dataDir: z.string().min(1, 'dataDir must name a directory'),
  port: z.number().int().min(0).max(65_535).default(DEFAULT_CONTROLLER_PORT),
  ...controllerSettings,
}).strict();
export type ControllerOptions = z.infer<typeof ControllerOptionsSchema>;

export interface ControllerEvent {
  kind: 'registered' | 'inactive' | 'elected' | 'no-master' | 'sync-state-set';
  atMs: number;
  brokerName: string;
  brokerId?: number;
  message: string;
  info?: ReplicaInfo;
  unclean?: boolean;
}

/** One group as the control plane sees it: the record and every replica with its liveness. */
export interface ControllerGroupView extends ReplicaInfo {
  replicas: { brokerId: number; address: string; haAddress: string; alive: boolean; maxOffset: number; lastEpoch: number }[];
}

export interface ControllerServerOptions {
  /** where controller.json lives */
  dataDir: string;
  disk: Disk;
  settings: ControllerSettings;
  clock?: Clock;
  transport?: Transport;
  events?: (event: ControllerEvent) => void;
  /**
   * The controller cannot go on: a change it made could not be written durably. Its memory is ahead
   * of its disk, so it must stop before it answers anything else (its process exits; a restart reads
   * the last durable state). Throws by default.
   */
  fatal?: (message: string) => void;
}

/** The SyncStateSet body RocketMQ sends (remoting/protocol/body/SyncStateSet). */
function syncStateSetBody(info: ReplicaInfo): Buffer {
  return Buffer.from(JSON.stringify({ syncStateSet: info.syncStateSet, syncStateSetEpoch: info.syncStateSetEpoch }));
}

function masterFields(info: ReplicaInfo): Record<string, string | number> {
  return {
    masterBrokerId: info.masterBrokerId ?? -1,
    masterAddress: info.masterAddress,
    masterHaAddress: info.masterHaAddress,
    masterEpoch: info.masterEpoch,
    syncStateSetEpoch: info.syncStateSetEpoch,
  };
}

export class ControllerServer {
  readonly replicas: ReplicasInfo;
  private readonly remoting: RemotingServer;
  private readonly client: RemotingClient;
  private readonly clock: Clock;
  private readonly file: string;
  /** connection id → the replica that registered over it */
  private readonly byConnection = new Map<number, { brokerName: string; brokerId: number }>();
  private scanTimer: Timer | undefined;
  private startedAtMs = 0;
  port = 0;

  constructor(private readonly options: ControllerServerOptions) {
    this.clock = options.clock ?? systemClock;
    this.file = path.join(options.dataDir, CONTROLLER_STATE_FILE);
    this.replicas = new ReplicasInfo(() => options.settings, this.load());
    const transport = options.transport ?? realTransport;
    this.client = new RemotingClient(() => {}, this.clock, transport);
    this.remoting = new RemotingServer({
      connectionClosed: (connection) => {
        const replica = this.byConnection.get(connection.id);
        this.byConnection.delete(connection.id);
        // The replica's process may be gone; the heartbeat timeout decides, as RocketMQ's does.
        if (replica) this.emit({ kind: 'inactive', brokerName: replica.brokerName, brokerId: replica.brokerId, message: `${replica.brokerName}/${replica.brokerId}: its connection to the controller closed` });
      },
    }, {}, this.clock, transport);
    this.handle(RequestCode.CONTROLLER_REGISTER_BROKER, (request, connectionId) => this.register(request, connectionId));
    this.handle(RequestCode.BROKER_HEARTBEAT, (request) => this.heartbeat(request));
    this.handle(RequestCode.CONTROLLER_GET_REPLICA_INFO, (request) => {
      const info = this.replicas.info(required(request, 'brokerName'));
      return createResponse(request, ResponseCode.SUCCESS, { extFields: masterFields(info), body: syncStateSetBody(info) });
    });
    this.handle(RequestCode.CONTROLLER_ELECT_MASTER, (request) => this.elect(request));
    this.handle(RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET, (request) => this.alterSyncStateSet(request));
    this.handle(RequestCode.CONTROLLER_GET_SYNC_STATE_DATA, (request) =>
      createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(JSON.stringify({ groups: this.view() })) }));
  }

  async start(port: number, host = '127.0.0.1'): Promise<number> {
    this.port = await this.remoting.listen(port, host);
    this.startedAtMs = this.clock.nowMs();
    this.scanTimer = this.clock.setInterval(() => this.scan(), this.options.settings.scanNotActiveBrokerInterval).unref();
    return this.port;
  }

  async shutdown(): Promise<void> {
    this.scanTimer?.cancel();
    this.client.close();
    await this.remoting.close();
  }

  view(): ControllerGroupView[] {
    return this.replicas.groupNames().map((brokerName) => ({
      ...this.replicas.info(brokerName),
      replicas: this.replicas.replicas(brokerName).map((r) => {
        const live = this.replicas.livenessOf(brokerName, r.brokerId);
        return { ...r, alive: live?.alive ?? false, maxOffset: live?.maxOffset ?? -1, lastEpoch: live?.lastEpoch ?? 0 };
      }),
    }));
  }

  /** The inactive scan: replicas silent past the timeout are inactive; a group that lost its master elects. */
  scan(): void {
    const now = this.clock.nowMs();
    for (const gone of this.replicas.scanInactive(now)) {
      this.emit({ kind: 'inactive', brokerName: gone.brokerName, brokerId: gone.brokerId, message: `${gone.brokerName}/${gone.brokerId} sent no heartbeat for ${this.options.settings.controllerHeartBeatTimeoutMills} ms${gone.wasMaster ? ' (it was the master)' : ''}` });
    }
    for (const brokerName of this.replicas.groupsWithInactiveMaster(now, this.startedAtMs, this.options.settings.controllerHeartBeatTimeoutMills)) {
      try {
        this.electAndTell(brokerName, null, 'its master is not alive');
      } catch (error) {
        if (error instanceof PersistFailure) this.options.fatal?.(error.message);
        throw error;
      }
    }
  }

  private handle(code: number, handler: (request: RemotingCommand, connectionId: number) => RemotingCommand): void {
    this.remoting.register(code, (request, connection) => {
      try {
        return handler(request, connection.id);
      } catch (error) {
        if (error instanceof ControllerRefusal) return createResponse(request, ResponseCode[error.code], { remark: error.message });
        if (error instanceof BadRequest) return createResponse(request, ResponseCode.CONTROLLER_INVALID_REQUEST, { remark: error.message });
        if (error instanceof PersistFailure) this.options.fatal?.(error.message);
        throw error;
      }
    });
  }

  private register(request: RemotingCommand, connectionId: number): RemotingCommand {
    const brokerName = required(request, 'brokerName');
    const brokerId = requiredNumber(request, 'brokerId');
    const info = this.replicas.register(extString(request, 'clusterName') ?? 'DefaultCluster', brokerName, {
      brokerId,
      address: required(request, 'brokerAddress'),
      haAddress: required(request, 'haAddress'),
    }, { maxOffset: extNumber(request, 'maxOffset') ?? 0, lastEpoch: extNumber(request, 'epoch') ?? 0 }, this.clock.nowMs());
    this.byConnection.set(connectionId, { brokerName, brokerId });
    this.persist();
    this.emit({ kind: 'registered', brokerName, brokerId, message: `${brokerName}/${brokerId} registered at ${extString(request, 'brokerAddress')}`, info });
    // As RocketMQ's registerBroker: the master is named only while it is alive (else the replica asks for an election).
    const alive = info.masterBrokerId !== null && this.replicas.isAlive(brokerName, info.masterBrokerId);
    const answer = alive ? info : { ...info, masterBrokerId: null, masterAddress: '', masterHaAddress: '' };
    return createResponse(request, ResponseCode.SUCCESS, { extFields: { clusterName: extString(request, 'clusterName') ?? 'DefaultCluster', brokerName, ...masterFields(answer) }, body: syncStateSetBody(info) });
  }

  private heartbeat(request: RemotingCommand): RemotingCommand {
    const brokerName = required(request, 'brokerName');
    const brokerId = requiredNumber(request, 'brokerId');
    const known = this.replicas.heartbeat(brokerName, brokerId, { maxOffset: extNumber(request, 'maxOffset') ?? 0, lastEpoch: extNumber(request, 'epoch') ?? 0 }, this.clock.nowMs());
    if (!known) return createResponse(request, ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED, { remark: `${brokerName}/${brokerId} is not registered with this controller` });
    return createResponse(request, ResponseCode.SUCCESS);
  }

  private elect(request: RemotingCommand): RemotingCommand {
    const brokerName = required(request, 'brokerName');
    const requester = extNumber(request, 'brokerId');
    const result = this.electAndTell(brokerName, requester === undefined || requester < 0 ? null : requester, `${brokerName}/${requester ?? '?'} asked for an election`);
    const fields = masterFields(result.info);
    if (result.noCandidate) return createResponse(request, ResponseCode.CONTROLLER_ELECT_MASTER_FAILED, { extFields: fields, remark: result.noCandidate });
    if (!result.changed) return createResponse(request, ResponseCode.CONTROLLER_MASTER_STILL_EXIST, { extFields: fields, body: syncStateSetBody(result.info), remark: `${brokerName} has an alive master, brokerId ${result.info.masterBrokerId}` });
    return createResponse(request, ResponseCode.SUCCESS, { extFields: fields, body: syncStateSetBody(result.info) });
  }

  private electAndTell(brokerName: string, requester: number | null, why: string) {
    const result = this.replicas.electMaster(brokerName, requester);
    if (!result.changed) return result;
    this.persist();
    if (result.info.masterBrokerId === null) {
      this.emit({ kind: 'no-master', brokerName, message: `${brokerName} has no master: ${why}; ${result.noCandidate}`, info: result.info });
    } else {
      this.emit({
        kind: 'elected', brokerName, brokerId: result.info.masterBrokerId, info: result.info, unclean: result.unclean,
        message: `${brokerName}/${result.info.masterBrokerId} elected master, epoch ${result.info.masterEpoch} (${why})${result.unclean ? '; UNCLEAN: it was not in the SyncStateSet' : ''}`,
      });
    }
    this.tellReplicas(brokerName, result.info);
    return result;
  }

  private alterSyncStateSet(request: RemotingCommand): RemotingCommand {
    const brokerName = required(request, 'brokerName');
    let body: { syncStateSet?: unknown; syncStateSetEpoch?: unknown };
    try {
      body = JSON.parse(request.body?.toString('utf8') ?? '') as typeof body;
    } catch {
      throw new BadRequest('CONTROLLER_ALTER_SYNC_STATE_SET needs a SyncStateSet JSON body');
    }
    if (!Array.isArray(body.syncStateSet) || !body.syncStateSet.every((id) => Number.isSafeInteger(id)) || !Number.isSafeInteger(body.syncStateSetEpoch)) {
      throw new BadRequest('the SyncStateSet body needs syncStateSet (brokerIds) and syncStateSetEpoch');
    }
    const info = this.replicas.alterSyncStateSet(brokerName, {
      masterBrokerId: requiredNumber(request, 'masterBrokerId'),
      masterEpoch: requiredNumber(request, 'masterEpoch'),
      syncStateSetEpoch: body.syncStateSetEpoch as number,
      syncStateSet: body.syncStateSet as number[],
    });
    this.persist();
    this.emit({ kind: 'sync-state-set', brokerName, info, message: `${brokerName} SyncStateSet {${info.syncStateSet.join(', ')}}, epoch ${info.syncStateSetEpoch}` });
    this.tellReplicas(brokerName, info);
    return createResponse(request, ResponseCode.SUCCESS, { extFields: { newSyncStateSetEpoch: info.syncStateSetEpoch }, body: syncStateSetBody(info) });
  }

  /** NOTIFY_BROKER_ROLE_CHANGED to every replica of the group (oneway; a replica that is down learns at its registration). */
  private tellReplicas(brokerName: string, info: ReplicaInfo): void {
    for (const replica of this.replicas.replicas(brokerName)) {
      if (!this.replicas.isAlive(brokerName, replica.brokerId)) continue;
      const request = createRequest(RequestCode.NOTIFY_BROKER_ROLE_CHANGED, masterFields(info), syncStateSetBody(info));
      this.client.invokeOneway(replica.address, request, 1000).catch(() => {
        // Unreachable now: it learns from its next heartbeat round (GET_REPLICA_INFO).
      });
    }
  }

  private load(): ControllerDurableState | undefined {
    if (!this.options.disk.exists(this.file)) return undefined;
    const parsed = JSON.parse(this.options.disk.readFile(this.file).toString('utf8')) as ControllerDurableState;
    if (!Array.isArray(parsed.groups)) throw new Error(`${this.file} is not the controller's state (no groups list)`);
    return parsed;
  }

  private persist(): void {
    try {
      this.options.disk.mkdirp(this.options.dataDir);
      writeFileAtomicSync(this.options.disk, this.file, JSON.stringify(this.replicas.durable()));
    } catch (error) {
      throw new PersistFailure(`the controller's state could not be written to ${this.file}: ${(error as Error).message}`);
    }
  }

  private emit(event: Omit<ControllerEvent, 'atMs'>): void {
    try {
      this.options.events?.({ ...event, atMs: this.clock.nowMs() });
    } catch (error) {
      console.error('[controller] event listener failed', error);
    }
  }
}

class BadRequest extends Error {}
class PersistFailure extends Error {}

function required(request: RemotingCommand, key: string): string {
  const value = extString(request, key);
  if (!value) throw new BadRequest(`${key} is required`);
  return value;
}

function requiredNumber(request: RemotingCommand, key: string): number {
  const value = extNumber(request, key);
  if (value === undefined || !Number.isSafeInteger(value)) throw new BadRequest(`${key} must be a whole number`);
  return value;
}
