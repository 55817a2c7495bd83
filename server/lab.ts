/**
 * The lab composed: the control plane, and the drill runner and message console that work on top of
 * it. Whoever runs the lab (server/main.ts, the drill CLI, the drill matrix, tests) builds it here,
 * so each part is constructed once and handed to those that need it (the tRPC context, the live
 * stream) instead of being looked up from the control plane.
 */
import { ControlPlane, type ControlPlaneOptions } from './control-plane';
import { DrillRunner } from './drills/drill-runner';
import { MessageConsole } from './messages/message-console';
import { SimulationService } from './sim/sim-service';

export interface Lab {
  controlPlane: ControlPlane;
  /** crash drills, one at a time on the control plane's cluster */
  drillRunner: DrillRunner;
  /** the console's own RocketMQ client: publish one, queue browsing, key search, DLQ resend */
  messageConsole: MessageConsole;
  /** the deterministic simulator: a drill over many seeds on worker threads, results labelled simulated */
  simulator: SimulationService;
  /** stops the console's client, then every process of the control plane */
  stop(): Promise<void>;
}

export function createLab(options: ControlPlaneOptions): Lab {
  const controlPlane = new ControlPlane(options);
  const drillRunner = new DrillRunner(controlPlane);
  controlPlane.showDrillStatus(() => drillRunner.status());
  const messageConsole = new MessageConsole(controlPlane);
  const simulator = new SimulationService(drillRunner);
  return {
    controlPlane,
    drillRunner,
    messageConsole,
    simulator,
    async stop() {
      simulator.cancel();
      await messageConsole.close();
      await controlPlane.stop();
    },
  };
}
