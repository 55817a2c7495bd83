/**
 * The lab composed: the control plane, and the drill runner and message console that work on top of
 * it. Whoever runs the lab (server/main.ts, the drill CLI, the drill matrix, tests) builds it here,
 * so each part is constructed once and handed to those that need it (the tRPC context, the live
 * stream) instead of being looked up from the control plane.
 */
import { ControlPlane, type ControlPlaneOptions } from './control-plane';
import { DrillRunner } from './drills/drill-runner';
import { DrillRecorder } from './drills/recorder';
import { drillSpec } from './drills/catalog';
import { MessageConsole } from './messages/message-console';
import { SimulationService } from './sim/sim-service';
import { ExternalTargetService } from './external/external-service';
import { PROJECT_ROOT } from './cluster/child-process';
import path from 'node:path';

export interface Lab {
  controlPlane: ControlPlane;
  /** crash drills, one at a time on the control plane's cluster */
  drillRunner: DrillRunner;
  /** the console's own RocketMQ client: publish one, queue browsing, key search, DLQ resend */
  messageConsole: MessageConsole;
  /** the deterministic simulator: a drill over many seeds on worker threads, results labelled simulated */
  simulator: SimulationService;
  /** drills against a RocketMQ cluster Zeroloss did not start (the External page) */
  external: ExternalTargetService;
  /** stops the console's client, then every process of the control plane */
  stop(): Promise<void>;
}

export function createLab(options: ControlPlaneOptions): Lab {
  const controlPlane = new ControlPlane(options);
  const drillRunner = new DrillRunner(controlPlane);
  controlPlane.showDrillStatus(() => drillRunner.status());
  const messageConsole = new MessageConsole(controlPlane);
  const simulator = new SimulationService(drillRunner);
  // An external run's traffic and consumers would share the CPU with a drill or a simulation and change its timing.
  const external = new ExternalTargetService(path.resolve(PROJECT_ROOT, options.dataDir ?? 'data'), () =>
    drillRunner.status() ? 'a drill is running on the embedded cluster: wait for it or cancel it' : simulator.running() ? 'a simulation is running: wait for it or cancel it' : undefined,
  // Its runs go to the drill history beside the embedded ones (a recorder of its own: its timeline is its own).
  new DrillRecorder(controlPlane.prisma, (id) => drillSpec(id).title));
  return {
    controlPlane,
    drillRunner,
    messageConsole,
    simulator,
    external,
    async stop() {
      simulator.cancel();
      await external.stop();
      await messageConsole.close();
      await controlPlane.stop();
    },
  };
}
