/**
 * A worker thread of the simulator's pool (sim-pool.ts): takes seeds one at a time, runs each on its
 * own simulated world (a run never touches the real clock, network or disk) and posts the outcome.
 * The pool asks for the next seed only once the last one is answered, so a slow seed holds one worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSeed, type SimBatch } from './sim-batch.js';

export type ToWorker = { type: 'seed'; seed: number; trace?: boolean } | { type: 'stop' };
export type FromWorker = { type: 'outcome'; outcome: Awaited<ReturnType<typeof runSeed>>['outcome']; trace?: string[] };

const batch = (workerData as { batch: SimBatch }).batch;
const port = parentPort!;
port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') {
    port.close();
    return;
  }
  void runSeed(batch, message.seed, message.trace).then(({ outcome, result }) =>
    port.postMessage({ type: 'outcome', outcome, ...(message.trace ? { trace: result?.trace ?? [] } : {}) } satisfies FromWorker));
});
