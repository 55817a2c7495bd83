/**
 * The transaction runner as the drill runner supervises it: one process at a time
 * (transaction-runner-main.ts), started with a new producer id of the run's producer group, killable
 * (a real SIGKILL between half message and commit), its reports handed to a listener.
 */
import { SupervisedChild, type ExitInfo } from '../cluster/child-process';
import type { ParentToTransactionRunner, TransactionEvent, TransactionRunnerConfig, TransactionRunnerToParent } from './transaction-runner-types';

const READY_TIMEOUT_MS = 30_000;

export interface TransactionTrafficListener {
  events(producerId: string, events: TransactionEvent[]): void;
  exit(info: ExitInfo): void;
}

export class TransactionTraffic {
  private readonly child: SupervisedChild<ParentToTransactionRunner, TransactionRunnerToParent>;
  private ready: { resolve(): void; reject(error: Error): void } | undefined;
  private fatal: string | undefined;
  config: TransactionRunnerConfig | undefined;

  constructor(private readonly listener: TransactionTrafficListener) {
    this.child = new SupervisedChild('transaction runner', 'server/traffic/transaction-runner-main.ts', {
      message: (message) => this.onMessage(message),
      exit: (info) => {
        this.ready?.reject(new Error(`the transaction runner ${this.fatal ?? info.reason}`));
        this.ready = undefined;
        this.listener.exit(info);
      },
    });
  }

  get running(): boolean {
    return this.child.running;
  }

  /** Starts a runner and resolves once its producer has sent its first heartbeats. */
  async start(config: TransactionRunnerConfig): Promise<void> {
    this.config = config;
    this.fatal = undefined;
    const ready = new Promise<void>((resolve, reject) => {
      this.ready = { resolve, reject };
    });
    const timer = setTimeout(() => this.ready?.reject(new Error(`the transaction runner was not ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    this.child.start({ ZL_TX_TRAFFIC: JSON.stringify(config) });
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): Promise<void> {
    return this.child.stop({ type: 'stop' }, 8000);
  }

  /** No new transactions; check-backs are still answered. */
  pause(): void {
    this.child.send({ type: 'pause' });
  }

  kill(): boolean {
    if (!this.child.running) return false;
    void this.child.kill();
    return true;
  }

  private onMessage(message: TransactionRunnerToParent): void {
    switch (message.type) {
      case 'ready':
        this.child.markRunning();
        this.ready?.resolve();
        this.ready = undefined;
        break;
      case 'events':
        if (this.config) this.listener.events(this.config.producerId, message.events);
        break;
      case 'fatal':
        this.fatal = message.message;
        break;
      case 'done':
        break;
    }
  }
}
