/**
 * The controller of controller mode as the control plane supervises it: one child process
 * (broker/controller/main.ts; docs/architecture.md#controller-mode says why not in the control
 * plane's own), its state in <cluster>/controller, its port kept across restarts so the replicas'
 * controllerAddr stays true, the settings it confirmed it runs, and its events (registrations,
 * elections, SyncStateSet changes) recorded as cluster events.
 */
import path from 'node:path';
import type { ControllerSettings } from '../../broker/config/broker-config';
import type { ControllerToParent } from '../../broker/ipc';
import { SupervisedChild, type ProcessStatus } from './child-process';
import type { RecordEvent } from './broker-node';

export interface ControllerNodeView {
  status: ProcessStatus;
  address?: string;
  /** the controller's keys as it said it runs them */
  settings?: ControllerSettings;
}

export class ControllerNode {
  private readonly child: SupervisedChild<never, ControllerToParent>;
  private port: number | undefined;
  private confirmed: ControllerSettings | undefined;
  private ready: { resolve(): void; reject(error: Error): void } | undefined;

  constructor(private readonly options: { storeRoot: string; record: RecordEvent }) {
    this.child = new SupervisedChild('controller', 'broker/controller/main.ts', {
      message: (message) => this.onMessage(message),
      exit: (info) => {
        this.confirmed = undefined;
        this.ready?.reject(new Error(`the controller ${info.reason}`));
        this.ready = undefined;
        options.record(info.expected ? 'process.stopped' : 'process.crashed', 'controller', `controller ${info.reason}`, 'process');
      },
    });
  }

  get running(): boolean {
    return this.child.running;
  }

  /** host:port; kept while it is down, so a restart listens where the replicas look */
  get address(): string | undefined {
    return this.port ? `127.0.0.1:${this.port}` : undefined;
  }

  get settings(): ControllerSettings | undefined {
    return this.confirmed;
  }

  view(): ControllerNodeView {
    return { status: this.child.status, ...(this.address ? { address: this.address } : {}), ...(this.confirmed ? { settings: this.confirmed } : {}) };
  }

  /** Starts it with these keys and resolves once it listens (rejects with the reason when it dies first). */
  start(settings: ControllerSettings): Promise<void> {
    if (this.child.running) return Promise.resolve();
    const ready = new Promise<void>((resolve, reject) => {
      this.ready = { resolve, reject };
    });
    this.child.start({ ZL_CONTROLLER_OPTIONS: JSON.stringify({ dataDir: path.join(this.options.storeRoot, 'controller'), port: this.port ?? 0, ...settings }) });
    return ready;
  }

  async stop(): Promise<void> {
    await this.child.stop(undefined);
  }

  /** A real crash: SIGKILL; what it answered is on disk (it fdatasyncs before answering). */
  kill(): Promise<void> {
    this.options.record('fault.kill', 'controller', 'SIGKILL sent to the controller', 'fault');
    return this.child.kill();
  }

  output(): string[] {
    return this.child.output();
  }

  private onMessage(message: ControllerToParent): void {
    switch (message.type) {
      case 'ready':
        this.child.markRunning();
        this.port = message.port;
        this.confirmed = message.settings;
        this.options.record('process.started', 'controller', `controller running on 127.0.0.1:${message.port}`, 'process', message.settings);
        this.ready?.resolve();
        this.ready = undefined;
        break;
      case 'controller': {
        const { event } = message;
        if (event.kind === 'registered') break;
        this.options.record(`controller.${event.kind}`, 'controller', event.message, event.kind === 'elected' || event.kind === 'no-master' ? 'fault' : undefined, event);
        break;
      }
      case 'fatal':
        break;
    }
  }
}
