/**
 * `zeroloss cluster` as a process of its own, as an external cluster runs apart from the control plane
 * that drills it (test/integration/external-target.test.ts, test/bench/runner-bench.ts): started in a
 * process group, ready once it prints its name server's address, stopped as Ctrl-C would stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/cluster/child-process';

export const ZEROLOSS_CLI = path.join(PROJECT_ROOT, 'server/bin.mjs');

export interface ClusterProcess {
  namesrv: string;
  process: ChildProcess;
  /** SIGTERM to the cluster alone (it stops its children itself), then SIGKILL to whatever of its group is left */
  stop(): Promise<void>;
}

/** Starts `zeroloss cluster` on free ports with its data (and database) under `dir`, plus `args`. */
export async function startClusterProcess(dir: string, args: string[] = []): Promise<ClusterProcess> {
  const child = spawn(process.execPath, [ZEROLOSS_CLI, 'cluster', '--namesrv-port', '0', '--broker-port', '0', '--data-dir', path.join(dir, 'cluster'), ...args], {
    cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, DATABASE_URL: `file:${path.join(dir, 'cluster.db')}` },
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const namesrv = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the cluster did not say ready within 90 s:\n${out}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const ready = /ready namesrv=(\S+)/.exec(out);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`the cluster exited (${code}) before it was ready:\n${out}`)));
  });
  return {
    namesrv,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        // The cluster alone, as Ctrl-C would: it stops its children itself (a SIGTERM to each child
        // would read to its supervisor as crashes, and --restart-crashed would start them again).
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000).unref())]);
      }
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* every process of the group is gone */ }
    },
  };
}
