/**
 * bcrypt off the main thread. bcryptjs is plain JavaScript: its "async" API only slices the work
 * between turns of the event loop, so 50 wrong passwords at once stalled every request and the
 * live stream for seconds. Here one worker thread does every hash and comparison; the main thread
 * only posts and awaits. The worker is started on first use and does not keep the process alive.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** The worker's whole program (CommonJS, so it needs no TypeScript loader). */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const bcrypt = require(${JSON.stringify(require.resolve('bcryptjs'))});
parentPort.on('message', ({ id, op, a, b }) => {
  try {
    parentPort.postMessage({ id, result: op === 'hash' ? bcrypt.hashSync(a, b) : bcrypt.compareSync(a, b) });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});
`;

type Job = { resolve(value: string | boolean): void; reject(error: Error): void };

export class PasswordHasher {
  private worker: Worker | undefined;
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;

  hash(password: string, rounds: number): Promise<string> {
    return this.run('hash', password, rounds) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.run('compare', password, hash) as Promise<boolean>;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private run(op: 'hash' | 'compare', a: string, b: string | number): Promise<string | boolean> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      this.start().postMessage({ id, op, a, b });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (m: { id: number; result?: string | boolean; error?: string }) => {
      const job = this.jobs.get(m.id);
      this.jobs.delete(m.id);
      if (m.error !== undefined) job?.reject(new Error(m.error));
      else job?.resolve(m.result!);
    });
    // A worker that dies fails what it held; the next call starts a new one.
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const job of this.jobs.values()) job.reject(error);
      this.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the password worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
