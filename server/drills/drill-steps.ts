/**
 * The steps of a drill that touch the cluster: each fault of the catalog (kill, power cut, disk loss,
 * link faults, slow disk, producer-link flap …) and each recovery (restart, promotion, heal), plus the
 * abortable, bounded waits the runner uses everywhere. drill-runner.ts decides when they run.
 */
import fs from 'node:fs';
import type { ControlPlane } from '../control-plane';
import { ControllerModeGroup } from '../cluster/controller-mode-group';
import type { ReplicaGroup } from '../cluster/replica-group';
import type { BrokerNode } from '../cluster/broker-node';
import type { ClientPortProxy } from '../cluster/client-port-proxy';
import type { FaultStep, RecoveryStep } from './catalog';
import type { DrillPlan, FlapBurst } from './drill-plan';
import type { DrillEventKind, DrillRunSettings } from './types';
import type { TransactionTraffic } from '../traffic/transaction-traffic';
import { PermName } from '../../broker/protocol/codes';
import { isZerolossError } from '../../broker/errors/errors';

export const RESTART_TIMEOUT_MS = 60_000;

/** What a step may use of the runner. */
export interface StepHost {
  controlPlane: ControlPlane;
  transactions: TransactionTraffic;
  event(kind: DrillEventKind, message: string, detail?: unknown): void;
  /** starts the run's producer again (a new producer id) */
  startProducer(signal: AbortSignal): Promise<void>;
}

/** The part of a run the steps read and write. */
export interface StepRun {
  topic: string;
  settings: DrillRunSettings;
  plan: DrillPlan;
  /** subjects whose exit the drill itself causes right now */
  expectExit: Set<string>;
  /** undo steps for what a fault changed */
  undo: Map<string, () => Promise<void>>;
  /** controller mode: the id of the replica kill-elected-master killed (rejoin-old-master starts it again) */
  killedReplica?: number;
  /** controller mode: the ids kill-slave-replica and crash-in-sync-replicas killed, in that order */
  killedReplicas?: number[];
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves with the promise, or rejects when it takes longer than ms or the run is aborted. */
export function bounded<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
    const onAbort = () => reject(signal!.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); reject(e as Error); },
    );
  });
}

/** Polls `condition` (which may ask over the network: then poll less often, `everyMs`) until it holds; bounded and abortable. */
export async function waitFor(condition: () => boolean | Promise<boolean>, ms: number, what: string, signal: AbortSignal, everyMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${Math.round(ms / 1000)} s`);
    await sleep(everyMs, signal);
  }
}

/**
 * Shapes the links of the run as its plan says, before its traffic starts: the producer's link
 * through the client-port proxy, the HA link through the slave's fault proxy (latency, jitter and
 * bandwidth of a remote slave). Undone with the run's other undo steps. A run without a slave has
 * no HA link to shape.
 */
export async function shapeLinks(host: StepHost, run: StepRun): Promise<void> {
  const cp = host.controlPlane;
  const client = run.plan.clientLink;
  if (client) {
    cp.clientPort.setFaults('both', { latencyMs: client.latencyMs, jitterMs: client.jitterMs, bandwidthBytesPerSec: client.bandwidthBytesPerSec }, `shaped: ${client.label}`);
    run.undo.set('client-link-shape', async () => { cp.clientPort.setFaults('both', { latencyMs: 0, jitterMs: 0, bandwidthBytesPerSec: 0 }, 'shape removed'); });
    host.event('setting', `producer link shaped for this run: ${client.label} (restored afterwards)`, { clientLink: client });
  }
  const shape = run.plan.haLink;
  // Every group's HA link gets the shape: each group's slave is as far from its master.
  if (!shape) return;
  // Classic mode: each group's one HA link; controller mode: every replica's HA port (whoever is master, its slaves are that far).
  const proxies = cp.controllerMode
    ? cp.groups.flatMap((g) => (g instanceof ControllerModeGroup ? g.haProxies.map((proxy) => ({ key: proxy.name, proxy })) : []))
    : cp.classicGroups.filter((g) => g.replicas[1]?.running).map((g) => ({ key: g.brokerName, proxy: g.haLink }));
  if (proxies.length === 0) return;
  for (const { key, proxy } of proxies) {
    const previous = proxy.getFaults();
    proxy.setFaults('both', { latencyMs: shape.latencyMs, jitterMs: shape.jitterMs, bandwidthBytesPerSec: shape.bandwidthBytesPerSec });
    run.undo.set(`ha-link-shape:${key}`, async () => {
      proxy.setFaults('upstream', { latencyMs: previous.upstream.latencyMs, jitterMs: previous.upstream.jitterMs, bandwidthBytesPerSec: previous.upstream.bandwidthBytesPerSec });
      proxy.setFaults('downstream', { latencyMs: previous.downstream.latencyMs, jitterMs: previous.downstream.jitterMs, bandwidthBytesPerSec: previous.downstream.bandwidthBytesPerSec });
    });
  }
  host.event('setting', `HA link${proxies.length > 1 ? 's' : ''} shaped for this run: ${shape.label} (restored afterwards)`, { haLink: shape });
}

/** Injects one fault of a drill's spec; records in `run` what it expects to die and how to undo it. */
export async function injectFault(host: StepHost, run: StepRun, step: FaultStep, signal: AbortSignal): Promise<void> {
  const cp = host.controlPlane;
  const masterRunning = () => cp.state().broker.state === 'running' || cp.state().broker.state === 'starting' || cp.state().broker.state === 'stopping';
  switch (step.kind) {
    case 'kill-master':
      run.expectExit.add(cp.firstReplica.subject);
      void cp.killBroker();
      await waitExit(masterRunning, 'the master', signal);
      return;
    case 'power-loss':
      run.expectExit.add(cp.firstReplica.subject);
      if (!cp.powerLoss()) throw new Error('the master is not running: no power to cut');
      await waitExit(masterRunning, 'the master (power cut)', signal);
      return;
    case 'master-disk-loss': {
      run.expectExit.add(cp.firstReplica.subject);
      void cp.killBroker();
      // The machine is lost, and its network with it: the replication link is cut at the same moment.
      // A SIGKILLed process's sockets close only once the kernel has torn it down (tens of ms on a busy
      // machine), and on a shaped link that delay would deliver everything in flight: the lag the
      // drill is about. Bytes the slave had not received by now are gone.
      if (cp.secondReplica.running) cp.group.haLink.resetConnections();
      await waitExit(masterRunning, 'the master', signal);
      const storePath = cp.state().broker.storePath;
      fs.rmSync(storePath, { recursive: true, force: true });
      host.event('note', `deleted the master's store ${storePath}`);
      return;
    }
    case 'group-master-disk-loss': {
      const group = cp.classicGroups[step.group];
      if (!group) throw new Error(`the cluster has no group ${step.group + 1}: this drill needs the topology it names`);
      const master = group.master;
      if (!master.running) throw new Error(`${master.name} was not running when the fault was due`);
      run.expectExit.add(master.subject);
      void master.kill();
      // As in master-disk-loss: the machine's network goes with it, so the HA link is cut at once.
      group.haLink.resetConnections();
      await waitExit(() => master.running, master.name, signal);
      fs.rmSync(master.storePath, { recursive: true, force: true });
      host.event('note', `deleted ${master.name}'s store ${master.storePath}; ${group.brokerName} has no master now (no failover in classic mode)`);
      return;
    }
    case 'kill-slave':
      run.expectExit.add(cp.secondReplica.subject);
      void cp.killSlave();
      await waitExit(() => cp.secondReplica.running, 'the slave', signal);
      run.undo.set('slave', async () => { if (!cp.secondReplica.running) await bounded(cp.startSlave(), RESTART_TIMEOUT_MS, 'restarting the slave'); });
      return;
    case 'blackhole-ha-link':
      cp.group.setLinkFault('both', { blackhole: true });
      run.undo.set('link', async () => { cp.group.setLinkFault('both', { blackhole: false, reset: true }); });
      return;
    case 'slow-disk': {
      const previous = cp.settings.get().slowDiskDelayMs;
      const delayMs = Math.min(60_000, cp.settings.get().syncFlushTimeout + step.marginMs);
      await bounded(cp.updateSettings({ slowDiskDelayMs: delayMs }), 10_000, 'setting slowDiskDelayMs', signal);
      run.undo.set('disk', async () => { await bounded(cp.updateSettings({ slowDiskDelayMs: previous }), 10_000, 'restoring slowDiskDelayMs'); });
      return;
    }
    case 'slow-disk-power-loss': {
      await injectFault(host, run, { kind: 'slow-disk', marginMs: step.marginMs }, signal);
      host.event('note', `every fdatasync is slower than syncFlushTimeout now; the power fails in ${step.slowForMs} ms`);
      await sleep(step.slowForMs, signal);
      if (step.pauseConsumers) {
        const paused = cp.consumers.signalAll('SIGSTOP');
        run.undo.set('consumers-paused', async () => { cp.consumers.signalAll('SIGCONT'); });
        host.event('note', `${paused} consumer process(es) frozen (SIGSTOP) through the power cut and the restart`);
      }
      await injectFault(host, run, { kind: 'power-loss' }, signal);
      // The power comes back with a healthy disk: the master restarts without the delay.
      await run.undo.get('disk')?.();
      run.undo.delete('disk');
      return;
    }
    case 'kill-consumer': {
      const index = run.plan.consumerIndex;
      run.expectExit.add('consumers');
      if (!cp.killConsumer(index)) throw new Error(`consumer ${index + 1} was not running when the fault was due`);
      await waitExit(() => cp.consumers.views()[index]?.state === 'running' || cp.consumers.views()[index]?.state === 'starting', `consumer ${index + 1}`, signal);
      return;
    }
    case 'kill-transaction-producer':
      run.expectExit.add('transactions');
      if (!host.transactions.kill()) throw new Error('the transaction runner was not running when the fault was due');
      host.event('note', 'SIGKILL sent to the transaction runner: its transactions between half message and commit are left to the check-back');
      await waitExit(() => host.transactions.running, 'the transaction runner', signal);
      return;
    case 'flap-producer-link':
      run.undo.set('client-link', async () => { cp.clientPort.heal(); });
      await flapLink(host.controlPlane.clientPort, run.plan.bursts, signal);
      return;
    case 'kill-elected-master': {
      const group = cp.firstGroup;
      const master = group.master;
      if (!master) throw new Error(`${group.brokerName} had no master the controller elected when the fault was due`);
      const epoch = master.haStats?.controller?.masterEpoch ?? 0;
      run.expectExit.add(master.subject);
      run.killedReplica = master.id;
      void master.kill();
      // Its machine goes down with it, network included: what its HA port still had on the way to the
      // slaves is gone (as in master-disk-loss; a killed process's sockets would otherwise deliver it).
      if (group instanceof ControllerModeGroup) group.haProxies[master.id]!.resetConnections();
      await waitExit(() => master.running, master.name, signal);
      const killedAt = Date.now();
      await waitFor(() => group.master !== undefined && group.master !== master && (group.master.haStats?.controller?.masterEpoch ?? 0) > epoch, 30_000, 'the controller electing a new master', signal);
      const elected = group.master!;
      host.event('recovery', `${elected.name} is master at epoch ${elected.haStats!.controller!.masterEpoch}, ${Date.now() - killedAt} ms after ${master.name} exited (elected by the controller from the SyncStateSet)`, { elected: elected.name, epoch: elected.haStats!.controller!.masterEpoch });
      await createRunTopicOn(host, run, elected.address, signal);
      return;
    }
    case 'kill-slave-replica': {
      const group = cp.firstGroup;
      const master = group.master;
      const slave = [...group.replicas].reverse().find((n) => n.running && n !== master);
      if (!slave) throw new Error(`${group.brokerName} had no running slave when the fault was due`);
      run.expectExit.add(slave.subject);
      run.killedReplicas = [slave.id];
      void slave.kill();
      await waitExit(() => slave.running, slave.name, signal);
      return;
    }
    case 'crash-in-sync-replicas': {
      const group = cp.firstGroup;
      const victims = group.replicas.filter((n) => n.running);
      for (const node of victims) {
        run.expectExit.add(node.subject);
        void node.kill();
        // Each machine's network goes with it (see kill-elected-master).
        if (group instanceof ControllerModeGroup) group.haProxies[node.id]!.resetConnections();
      }
      run.killedReplicas = [...(run.killedReplicas ?? []), ...victims.map((n) => n.id)];
      for (const node of victims) await waitExit(() => node.running, node.name, signal);
      return;
    }
    case 'isolate-elected-master': {
      const group = cp.firstGroup;
      const master = group.master;
      if (!master || !(group instanceof ControllerModeGroup)) throw new Error(`${group.brokerName} had no master the controller elected when the fault was due`);
      const epoch = master.haStats?.controller?.masterEpoch ?? 0;
      run.killedReplica = master.id;
      group.isolate(master, true);
      run.undo.set('isolation', async () => { group.isolate(master, false); });
      const at = Date.now();
      await waitFor(() => group.replicas.some((n) => n !== master && n.haStats?.controller?.role === 'MASTER' && n.haStats.controller.masterEpoch > epoch), 30_000, 'the controller electing another master', signal);
      const elected = group.replicas.find((n) => n !== master && n.haStats?.controller?.role === 'MASTER')!;
      host.event('recovery', `${elected.name} elected master at epoch ${elected.haStats!.controller!.masterEpoch}, ${Date.now() - at} ms after the cut; ${master.name} still believes it is master (${master.haStats?.controller?.role ?? 'unknown'})`);
      await createRunTopicOn(host, run, elected.address, signal);
      return;
    }
    case 'crash-master-and-controller': {
      const group = cp.firstGroup;
      const master = group.master;
      if (!master || !(group instanceof ControllerModeGroup)) throw new Error(`${group.brokerName} had no master the controller elected when the fault was due`);
      if (!cp.controller.running) throw new Error('the controller was not running when the fault was due');
      run.expectExit.add(master.subject);
      run.expectExit.add('controller');
      run.killedReplica = master.id;
      if (!master.powerLoss()) throw new Error(`${master.name} is not running: no power to cut`);
      group.haProxies[master.id]!.resetConnections();
      void cp.controller.kill();
      await waitExit(() => master.running, master.name, signal);
      await waitExit(() => cp.controller.running, 'the controller', signal);
      return;
    }
    case 'kill-producer':
      run.expectExit.add('traffic');
      if (!cp.killTraffic()) throw new Error('the traffic runner was not running when the fault was due');
      // Its machine is gone with its network: what was still on the (shaped) link never arrives.
      if (run.plan.clientLink) cp.clientPort.resetConnections('the producer\'s machine died');
      await waitExit(() => cp.state().traffic.state === 'running' || cp.state().traffic.state === 'starting', 'the traffic runner', signal);
      return;
  }
}

/** Runs one recovery step of a drill's spec. */
export async function recoverFrom(host: StepHost, run: StepRun, step: RecoveryStep, signal: AbortSignal): Promise<void> {
  const cp = host.controlPlane;
  switch (step.kind) {
    case 'restart-master':
      await bounded(cp.startBroker(), RESTART_TIMEOUT_MS, 'restarting the master', signal);
      run.expectExit.delete(cp.firstReplica.subject);
      return;
    case 'resume-consumers': {
      await sleep(step.afterMs, signal);
      const resumed = cp.consumers.signalAll('SIGCONT');
      run.undo.delete('consumers-paused');
      host.event('recovery', `${resumed} consumer process(es) thawed (SIGCONT) ${step.afterMs} ms after the restart; they pull with the offsets they held`);
      return;
    }
    case 'promote-slave': {
      const promoted = await bounded(cp.group.promote(cp.secondReplica, 'ASYNC_MASTER'), 20_000, 'promoting the slave', signal);
      host.event('recovery', `slave promoted to ASYNC_MASTER at commit-log offset ${promoted.promotedAtOffset}; the old master stays down (its store is gone)`, promoted);
      await createRunTopicOn(host, run, cp.group.master.address, signal);
      return;
    }
    case 'restart-lagging-replica': {
      const group = cp.firstGroup;
      const node = group.replica(run.killedReplicas?.[0] ?? 0);
      await bounded(group.start(node), RESTART_TIMEOUT_MS, `starting ${node.name} again`, signal);
      run.expectExit.delete(node.subject);
      // The controller sees it alive at its first heartbeat; an election, if any, follows within a scan.
      const settings = cp.settings.get();
      const decided = Date.now() + settings.controllerHeartBeatTimeoutMills + 2 * settings.scanNotActiveBrokerInterval + 1000;
      while (Date.now() < decided && node.haStats?.controller?.role !== 'MASTER') await sleep(100, signal);
      const elected = node.haStats?.controller?.role === 'MASTER';
      host.event('recovery', elected
        ? `${node.name}, outside the SyncStateSet, was elected master at epoch ${node.haStats!.controller!.masterEpoch} (unclean election)`
        : `${node.name} is back alone and was not elected: it is outside the SyncStateSet (the group has no master)`);
      if (elected) await createRunTopicOn(host, run, node.address, signal);
      return;
    }
    case 'restart-crashed-replicas': {
      const group = cp.firstGroup;
      const nodes = (run.killedReplicas ?? []).slice(1).map((id) => group.replica(id));
      for (const node of nodes) {
        await bounded(group.start(node), RESTART_TIMEOUT_MS, `starting ${node.name} again`, signal);
        run.expectExit.delete(node.subject);
      }
      // Each may restart once more (exit 75) to cut what the master lacks; wait until all follow one master.
      const master = await everyReplicaFollowing(group, signal);
      host.event('recovery', `${master.name} is master at epoch ${master.haStats!.controller!.masterEpoch}; ${group.replicas.filter((n) => n !== master).map((n) => n.name).join(' and ')} follow it`);
      await createRunTopicOn(host, run, master.address, signal);
      return;
    }
    case 'heal-isolated-master': {
      const group = cp.firstGroup;
      const node = group.replica(run.killedReplica ?? 0);
      await run.undo.get('isolation')?.();
      run.undo.delete('isolation');
      // It learns the newer epoch and may restart once (exit 75) to cut what it took alone.
      await followingAsSlave(node, 40_000, `${node.name} following the new master`, signal);
      host.event('recovery', `${node.name} follows ${group.master?.name ?? 'the new master'} at epoch ${node.haStats!.controller!.masterEpoch}`);
      return;
    }
    case 'restart-master-then-controller': {
      const group = cp.firstGroup;
      const node = group.replica(run.killedReplica ?? 0);
      // The master first: it retries the controller until it listens, and heartbeats within the
      // grace a restarted controller gives the master its record names (controllerHeartBeatTimeoutMills).
      await bounded(group.start(node), RESTART_TIMEOUT_MS, `starting ${node.name} again`, signal);
      await bounded(cp.startController(), RESTART_TIMEOUT_MS, 'starting the controller again', signal);
      run.expectExit.delete(node.subject);
      run.expectExit.delete('controller');
      const master = await everyReplicaFollowing(group, signal);
      host.event('recovery', master === node
        ? `${node.name} is master again at epoch ${master.haStats!.controller!.masterEpoch}: it heartbeat within the restarted controller's grace; ${group.replicas.filter((n) => n !== node).map((n) => n.name).join(' and ')} follow it, cut to what its disk kept`
        : `${master.name} was elected at epoch ${master.haStats!.controller!.masterEpoch}: ${node.name} did not heartbeat within the restarted controller's grace, and rejoined as its slave`);
      if (master !== node) await createRunTopicOn(host, run, master.address, signal);
      return;
    }
    case 'rejoin-old-master': {
      const group = cp.firstGroup;
      const node = group.replica(run.killedReplica ?? 0);
      await bounded(group.start(node), RESTART_TIMEOUT_MS, `starting ${node.name} again`, signal);
      // It may restart once more (exit 75) to cut what only it held: wait until it follows the new master.
      await followingAsSlave(node, 30_000, `${node.name} rejoining as a slave`, signal);
      run.expectExit.delete(node.subject);
      host.event('recovery', `${node.name} rejoined as a slave of ${group.master?.name ?? 'the new master'} at epoch ${node.haStats!.controller!.masterEpoch}`);
      return;
    }
    case 'restart-slave':
      await bounded(cp.startSlave(), RESTART_TIMEOUT_MS, 'restarting the slave', signal);
      run.undo.delete('slave');
      run.expectExit.delete(cp.secondReplica.subject);
      return;
    case 'heal-ha-link':
    case 'restore-disk': {
      const key = step.kind === 'heal-ha-link' ? 'link' : 'disk';
      await run.undo.get(key)?.();
      run.undo.delete(key);
      return;
    }
    case 'restart-consumer':
      if (!cp.restartConsumer(run.plan.consumerIndex)) throw new Error(`consumer ${run.plan.consumerIndex + 1} could not be restarted`);
      run.expectExit.delete('consumers');
      return;
    case 'restart-transaction-producer':
      run.expectExit.delete('transactions');
      await host.startProducer(signal);
      return;
    case 'heal-producer-link':
      cp.clientPort.heal();
      run.undo.delete('client-link');
      return;
    case 'restart-producer':
      run.expectExit.delete('traffic');
      await host.startProducer(signal);
      return;
  }
}

/**
 * The producer-link flap, burst by burst as the plan lays it out: a drop blackholes the link (both
 * ways, or only the broker's answers), then resets the connections, discarding what was held (TCP
 * gave up); a reset ends every connection at once. Retries ride over the short ones.
 */
export async function flapLink(link: ClientPortProxy, bursts: FlapBurst[], signal: AbortSignal): Promise<void> {
  const start = Date.now();
  for (const burst of bursts) {
    await sleep(start + burst.atMs - Date.now(), signal);
    if (burst.kind === 'reset') {
      link.resetConnections('flap');
      continue;
    }
    link.setFaults(burst.direction, { blackhole: true }, `flap: drop for ${burst.forMs} ms`);
    await sleep(burst.forMs, signal);
    link.endDrop('flap');
  }
}


/**
 * A master that was a slave a moment ago does not have the run's topic config (RocketMQ's
 * SlaveSynchronize would have copied it): it learns the topic from an UPDATE_AND_CREATE_TOPIC, as an
 * operator's mqadmin updateTopic would send it, and the name server routes the topic to it.
 */
async function createRunTopicOn(host: StepHost, run: StepRun, address: string | undefined, signal: AbortSignal): Promise<void> {
  const cp = host.controlPlane;
  if (!address) throw new Error('the new master has no address');
  try {
    const queueNums = run.settings.broker.defaultTopicQueueNums;
    const topic = { topic: run.topic, readQueueNums: queueNums, writeQueueNums: queueNums, perm: PermName.PERM_READ | PermName.PERM_WRITE };
    await bounded(cp.admin.createAndUpdateTopicConfig(address, topic), 5000, 'creating the topic on the new master', signal);
  } catch (error) {
    if (isZerolossError(error, 'BROKER_ERROR')) throw new Error(`the new master refused the topic: ${error.message}`);
    throw error;
  }
  await waitFor(() => cp.namesrv.routes.pickupTopicRouteData(run.topic)?.brokerDatas.some((b) => b.brokerAddrs['0'] === address) ?? false,
    10_000, `the name server routing ${run.topic} to the new master`, signal);
}

/** Controller mode: waits until the group has a master and every replica runs with a role the controller gave it; returns the master. */
async function everyReplicaFollowing(group: ReplicaGroup, signal: AbortSignal): Promise<BrokerNode> {
  await waitFor(() => group.master !== undefined && group.replicas.every((n) => n.running && n.haStats?.controller && n.haStats.controller.role !== 'FENCED'), 40_000, 'every replica following one master', signal);
  return group.master!;
}

/** Controller mode: waits until a replica runs as a slave (it may restart once first, exit 75, to cut its log). */
async function followingAsSlave(node: BrokerNode, timeoutMs: number, what: string, signal: AbortSignal): Promise<void> {
  await waitFor(() => node.running && node.haStats?.controller?.role === 'SLAVE', timeoutMs, what, signal);
}

async function waitExit(isRunning: () => boolean, what: string, signal: AbortSignal): Promise<void> {
  await waitFor(() => !isRunning(), 10_000, `${what} exiting`, signal);
}
