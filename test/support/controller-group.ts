/**
 * One broker group in controller mode with real processes, for tests and benchmarks: the controller
 * process, a name server on real TCP, and replicas (broker processes with enableControllerMode)
 * supervised as the control plane will: a replica that exits 75 (it must cut its log before it
 * follows its master) is started again on the same store.
 */
import path from 'node:path';
import { NamesrvController } from '../../broker/namesrv/namesrv-controller';
import { EXIT_CODE_RESTART } from '../../broker/runtime/child-runtime';
import type { ControllerModeConfig } from '../../broker/config/broker-config';
import type { ControllerOptions } from '../../broker/controller/controller-server';
import type { HaStats } from '../../broker/ha/ha-types';
import { startBroker, type BrokerProcess } from './broker-process';
import { startController, type ControllerProcess } from './controller-process';

export interface SupervisedReplica {
  id: number;
  current(): BrokerProcess;
  readonly restarts: number;
  /** stops supervising and SIGKILLs the process */
  kill(): Promise<void>;
}

export interface ControllerGroup {
  controller: ControllerProcess;
  namesrv: NamesrvController;
  replica(id: number): Promise<SupervisedReplica>;
  stop(): Promise<void>;
}

/** The last HA figures a broker reported (with its controller-mode role), if any. */
export function lastHa(broker: BrokerProcess): HaStats | undefined {
  for (let i = broker.messages.length - 1; i >= 0; i--) {
    const m = broker.messages[i]!;
    if (m.type === 'stats' && m.stats.ha) return m.stats.ha;
  }
  return undefined;
}

export async function startControllerGroup(options: {
  root: string;
  brokerName: string;
  controllerMode: Partial<ControllerModeConfig>;
  controller: Partial<ControllerOptions>;
  mappedFileSizeCommitLog?: number;
}): Promise<ControllerGroup> {
  const controller = await startController({ dataDir: path.join(options.root, `controller-${options.brokerName}`), ...options.controller });
  const namesrv = new NamesrvController();
  await namesrv.start(0);
  const replicas: SupervisedReplica[] = [];
  const replica = async (id: number): Promise<SupervisedReplica> => {
    const start = () => startBroker({
      storeDir: path.join(options.root, `${options.brokerName}-${id}`),
      settings: { mappedFileSizeCommitLog: options.mappedFileSizeCommitLog ?? 1024 * 1024 },
      identity: { brokerName: options.brokerName, brokerId: id, namesrvAddr: namesrv.address },
      ha: { reconnectIntervalMs: 200 },
      controllerMode: { enableControllerMode: true, ...options.controllerMode, controllerAddr: controller.address },
    });
    const state = { broker: await start(), restarts: 0, supervised: true };
    const supervise = (broker: BrokerProcess) => {
      void broker.exited.then(async ({ code }) => {
        if (code !== EXIT_CODE_RESTART || !state.supervised) return;
        state.restarts++;
        state.broker = await start();
        supervise(state.broker);
      });
    };
    supervise(state.broker);
    const supervised: SupervisedReplica = {
      id,
      current: () => state.broker,
      get restarts() { return state.restarts; },
      async kill() {
        state.supervised = false;
        await state.broker.kill();
      },
    };
    replicas.push(supervised);
    return supervised;
  };
  return {
    controller,
    namesrv,
    replica,
    async stop() {
      for (const r of replicas) await r.kill();
      await controller.handle.kill();
      await namesrv.shutdown();
    },
  };
}
