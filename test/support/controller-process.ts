/** Starts the real controller process (broker/controller/main.ts) on a free loopback port. */
import { ChildProcessHandle } from '../../server/cluster/child-process';
import type { ControllerToParent } from '../../broker/ipc';
import type { ControllerOptions } from '../../broker/controller/controller-server';

export interface ControllerProcess {
  address: string;
  handle: ChildProcessHandle<never, ControllerToParent>;
  /** the controller's events, as sentences */
  events: string[];
  output: string[];
}

export async function startController(options: Partial<ControllerOptions> & { dataDir: string }): Promise<ControllerProcess> {
  const events: string[] = [];
  const output: string[] = [];
  const handle = new ChildProcessHandle<never, ControllerToParent>('broker/controller/main.ts', {
    env: { ZL_CONTROLLER_OPTIONS: JSON.stringify({ port: 0, ...options }) },
  }, {
    message: (m) => { if (m.type === 'controller') events.push(m.event.message); },
    line: (line) => output.push(line),
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`controller did not start:\n${output.join('\n')}`)), 30_000);
    handle.process.on('message', (m) => {
      const message = m as ControllerToParent;
      if (message.type === 'ready') { clearTimeout(timer); resolve(message.port); }
    });
    void handle.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`controller exited (${code ?? signal}) before it was ready:\n${output.join('\n')}`));
    });
  });
  return { address: `127.0.0.1:${port}`, handle, events, output };
}
