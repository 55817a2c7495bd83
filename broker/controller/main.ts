/**
 * The controller process of controller mode (one per cluster; docs/architecture.md#controller-mode).
 * Started by the control plane (options as JSON in ZL_CONTROLLER_OPTIONS, an IPC channel for
 * readiness and the controller's events), or by hand:
 *   node --import tsx broker/controller/main.ts [dataDir] [port]
 * A SIGKILL loses nothing it answered: every change is fdatasync'd before the answer.
 */
import { readChildConfig } from '../config/environment.js';
import { controllerSettingsOf } from '../config/broker-config.js';
import { realDisk } from '../io/disk.js';
import { ChildRuntime } from '../runtime/child-runtime.js';
import type { ControllerToParent } from '../ipc.js';
import { DEFAULT_CONTROLLER_PORT } from '../protocol/codes.js';
import { ControllerOptionsSchema, ControllerServer, type ControllerOptions } from './controller-server.js';

const runtime = new ChildRuntime<ControllerToParent>();

function readOptions(): ControllerOptions {
  const options = readChildConfig('ZL_CONTROLLER_OPTIONS');
  if (options !== undefined) return ControllerOptionsSchema.parse(options);
  const [dataDir = 'data/standalone/controller', port = String(DEFAULT_CONTROLLER_PORT)] = process.argv.slice(2);
  return ControllerOptionsSchema.parse({ dataDir, port: Number(port) });
}

async function main(): Promise<void> {
  const options = readOptions();
  const controller = new ControllerServer({
    dataDir: options.dataDir,
    disk: realDisk,
    settings: options,
    events: (event) => {
      console.log(`[controller] ${event.message}`);
      runtime.send({ type: 'controller', event });
    },
    fatal: (message) => {
      console.error(`[controller] ${message}: stopping`);
      runtime.fatal(message);
    },
  });
  const port = await controller.start(options.port);
  console.log(`[controller] listening on 127.0.0.1:${port}, state in ${options.dataDir}`);
  runtime.ready({ port, settings: controllerSettingsOf(options) });
  runtime.onStop(() => controller.shutdown(), { signals: ['SIGINT', 'SIGTERM'] });
}

runtime.run(main, (error) => console.error(`[controller] failed to start: ${error.message}`));
