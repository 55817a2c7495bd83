/** Starts the real broker process (broker/main.ts) on a free loopback port with its own store dir. */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChildProcessHandle, type ChildExit } from '../../server/cluster/child-process';
import { defaultSettings, type BrokerSettings, type ControllerModeConfig, type RemotingServerConfig } from '../../broker/config/broker-config';
import type { BrokerToParent, ParentToBroker } from '../../broker/ipc';

export interface BrokerProcess {
  addr: string;
  port: number;
  /** the HA listen port of a master (from the 'ready' message) */
  haPort?: number;
  storeDir: string;
  child: ChildProcess;
  messages: BrokerToParent[];
  output: string[];
  exited: Promise<ChildExit>;
  send(message: ParentToBroker): void;
  /** SIGTERM and wait */
  stop(): Promise<void>;
  /** SIGKILL and wait */
  kill(): Promise<void>;
}

export function tempStoreDir(prefix = 'zeroloss-broker-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface StartBrokerOptions {
  storeDir?: string;
  port?: number;
  settings?: Partial<BrokerSettings>;
  /** identity extras: brokerId, haListenPort, haMasterAddress */
  identity?: { brokerId?: number; brokerName?: string; haListenPort?: number; haMasterAddress?: string; namesrvAddr?: string };
  /** replication start-up options: truncateCommitLogTo, reconnectIntervalMs */
  ha?: { truncateCommitLogTo?: number; reconnectIntervalMs?: number };
  /** the client port's connection limits (broker/config/broker-config.ts RemotingServerConfigSchema) */
  remoting?: Partial<RemotingServerConfig>;
  /** runs the broker under this command (e.g. strace's argv); stop() and kill() then signal the broker itself */
  wrapCommand?: string[];
  /** RocketMQ 5's controller mode: its settings keys (enableControllerMode, ...) and the identity's controllerAddr */
  controllerMode?: Partial<ControllerModeConfig> & { controllerAddr?: string };
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<BrokerProcess> {
  const storeDir = options.storeDir ?? tempStoreDir();
  const { controllerAddr, ...controllerKeys } = options.controllerMode ?? {};
  const brokerOptions = {
    identity: { storePathRootDir: storeDir, listenPort: options.port ?? 0, ...options.identity, ...(controllerAddr ? { controllerAddr } : {}) },
    settings: { ...defaultSettings(), ...options.settings, ...controllerKeys },
    ...(options.ha ? { ha: options.ha } : {}),
    ...(options.remoting ? { remoting: options.remoting } : {}),
  };
  const messages: BrokerToParent[] = [];
  const output: string[] = [];
  const handle = new ChildProcessHandle<ParentToBroker, BrokerToParent>('broker/main.ts', {
    env: { ZL_BROKER_OPTIONS: JSON.stringify(brokerOptions) },
    ...(options.wrapCommand ? { wrapCommand: options.wrapCommand } : {}),
  }, {
    message: (message) => messages.push(message),
    line: (line) => output.push(line),
  });
  const { process: child, exited } = handle;
  let haPort: number | undefined;
  let brokerPid: number | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start in 30 s:\n${output.join('\n')}`)), 30_000);
    child.on('message', (m) => {
      const message = m as BrokerToParent;
      if (message.type === 'ready') {
        clearTimeout(timer);
        haPort = message.haPort;
        brokerPid = message.pid;
        resolve(message.port);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code ?? signal}) before it was ready:\n${output.join('\n')}`));
    });
  });
  const signal = (name: NodeJS.Signals) => {
    if (!handle.running) return;
    if (options.wrapCommand && brokerPid !== undefined) process.kill(brokerPid, name);
    else handle.signal(name);
  };
  return {
    addr: `127.0.0.1:${port}`,
    port,
    haPort,
    storeDir,
    child,
    messages,
    output,
    exited,
    send: (message) => void handle.send(message),
    async stop() {
      signal('SIGTERM');
      await exited;
    },
    async kill() {
      signal('SIGKILL');
      await exited;
    },
  };
}

/** Polls until the predicate holds or the time runs out. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
