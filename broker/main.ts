/**
 * The broker process. Started by the control plane's supervisor (options as JSON in ZL_BROKER_OPTIONS,
 * an IPC channel to report readiness, stats and stage events), or by hand:
 *   npm run broker -- [storePathRootDir] [listenPort]
 * SIGTERM/SIGINT shut it down cleanly; a power-loss command cuts every file back to its
 * fdatasync'd length and SIGKILLs the process in one synchronous step. The lifecycle around it
 * (reports, stop, fatal errors) is broker/runtime/child-runtime.ts.
 */
import { BrokerController, BrokerOptionsSchema } from './broker-controller.js';
import { defaultSettings } from './config/broker-config.js';
import { POWER_CUT_STRIKES, type BrokerToParent, type ParentToBroker } from './ipc.js';
import { StageBatcher, stageListeners } from './stage-batcher.js';
import { readChildConfig } from './config/environment.js';
import { ChildRuntime } from './runtime/child-runtime.js';

/** how long a power-cut report may wait for the IPC pipe before the SIGKILL goes ahead without it */
const POWER_CUT_REPORT_WAIT_MS = 10_000;
/** how long a power cut may wait for its worst moment (page-cache bytes no fdatasync covered) before it cuts anyway */
const POWER_CUT_WORST_MOMENT_MAX_MS = 1_000;

const runtime = new ChildRuntime<BrokerToParent, ParentToBroker>();
const send = (message: BrokerToParent) => runtime.send(message);

function readOptions() {
  const options = readChildConfig('ZL_BROKER_OPTIONS');
  if (options !== undefined) return BrokerOptionsSchema.parse(options);
  const [storePathRootDir = 'data/standalone/broker-a', port = '10911'] = process.argv.slice(2);
  return BrokerOptionsSchema.parse({ identity: { storePathRootDir, listenPort: Number(port) }, settings: defaultSettings() });
}

async function main(): Promise<void> {
  const options = readOptions();
  const stage = new StageBatcher((batch) => send({ type: 'stage', ...batch }));
  const broker = new BrokerController(options, {
    ...stageListeners(stage),
    settingsChanged: (settings) => send({ type: 'settings', settings }),
    badFrame: (reason) => console.error(`[broker] closed a connection after a bad frame: ${reason}`),
    connectionShed: (message) => console.error(`[broker] ${message}`),
    restartRequested: (reason) => {
      console.log(`[broker] restarting: ${reason}`);
      void runtime.restart(reason);
    },
    haEvent: (event) => {
      const log = event.kind === 'badFrame' || event.kind === 'diverged' ? console.error : console.log;
      log(`[broker] HA ${event.kind}: ${event.message}`);
      send({ type: 'ha', event });
    },
  });
  try {
    await broker.start();
  } catch (error) {
    const message = (error as Error).message;
    console.error(`[broker] failed to start: ${message}`);
    runtime.fatal(message);
    return;
  }
  console.log(`[broker] ${options.identity.brokerName} (brokerId ${options.identity.brokerId}) listening on ${options.identity.brokerIP1}:${broker.port}, store ${options.identity.storePathRootDir}, ${broker.settings.flushDiskType}, ${broker.settings.brokerRole}`);
  if (broker.truncation) console.log(`[broker] commit log truncated from ${broker.truncation.before} to ${broker.truncation.after} before start`);
  runtime.ready({ port: broker.port, settings: broker.settings, recovery: broker.store.recoveryReport(), haPort: broker.replication.haPort, truncatedTo: broker.truncation?.after });

  let statsTicks = 0;
  const statsTimer = broker.clock.setInterval(() => {
    stage.flush();
    // The client list changes slowly: once a second is enough.
    const clients = statsTicks++ % 10 === 0 ? broker.clients.snapshot() : undefined;
    send({
      type: 'stats',
      atMs: broker.clock.nowMs(),
      stats: {
        maxPhyOffset: broker.store.maxPhyOffset(),
        flushedPhyOffset: broker.store.flushedPhyOffset(),
        unflushedBytes: broker.store.unflushedBytes(),
        connections: broker.remoting.connectionCount,
        storedTotal: stage.storedTotal,
        ha: broker.haStats(),
        ...(clients ? { clients } : {}),
      },
    });
  }, 100);

  runtime.onStop(async (reason) => {
    statsTimer.cancel();
    console.log(`[broker] shutting down (${reason})`);
    await broker.shutdown();
    stage.flush();
  }, { signals: ['SIGTERM', 'SIGINT'] });
  let powerCutPending = false;
  // The cut is one synchronous step: every file back to what fdatasync covered, the store frozen,
  // every client and replication connection dropped, so nothing is answered, written or shipped
  // after it. Then the report, and only once it (and so, IPC keeping order, every stage event before
  // it) has left for the control plane, the SIGKILL: a full pipe must not lose the report or the
  // last stages (the ledger's "last stage" would fall back to "stored").
  const cutPower = (waitedMs: number) => {
    console.error(`${POWER_CUT_STRIKES} ${waitedMs} ms after the order, with ${broker.store.pageCacheOnlyBytes()} commit-log bytes in the page cache only`);
    stage.flush();
    const maxOffset = broker.store.maxPhyOffset();
    const flushedOffset = broker.store.flushedPhyOffset();
    const cut = broker.store.simulatePowerCutSync();
    statsTimer.cancel();
    void broker.remoting.close();
    void broker.replication.shutdown();
    stage.flush();
    runtime.reportThenKill({ type: 'powerCut', cut, flushedOffset, maxOffset }, POWER_CUT_REPORT_WAIT_MS, () => {
      console.error(`[broker] the power-cut report did not leave within ${POWER_CUT_REPORT_WAIT_MS} ms (the control plane is not reading): killed without it`);
    });
  };
  runtime.onMessage((message) => {
    switch (message.type) {
      case 'powerLoss': {
        if (powerCutPending) break;
        powerCutPending = true;
        // A real power cut's worst case: while the page cache holds bytes no fdatasync covered.
        broker.store.atWorstMomentForPowerCut(broker.clock, POWER_CUT_WORST_MOMENT_MAX_MS, cutPower);
        break;
      }
      case 'shutdown':
        void runtime.stop('asked by the control plane');
        break;
    }
  });
}

runtime.run(main, (error) => console.error(`[broker] failed: ${error.message}`));
