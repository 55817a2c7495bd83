/**
 * Starts the real control plane (`server/main.ts`, as `npm start` does) on free ports with its own
 * temp database and data dir, and stops it with everything it spawned.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/cluster/child-process';

export interface AppServer {
  url: string;
  dataDir: string;
  output: string[];
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `until: 'ready'` (the default) resolves on the "dashboard on" line, printed once the cluster is
 * ready; `'listening'` resolves as soon as the port is open, while the nodes are still starting.
 */
export async function startAppServer(options: { timeoutMs?: number; env?: Record<string, string>; dataDir?: string; keepData?: boolean; until?: 'ready' | 'listening' } = {}): Promise<AppServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-app-'));
  const output: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'server/main.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      BROKER_PORT: '0',
      NAMESRV_PORT: '0',
      ZL_DATA_DIR: dataDir,
      DATABASE_URL: `file:${path.join(dataDir, 'zeroloss.db')}`,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`control plane did not start within ${options.timeoutMs ?? 240_000} ms:\n${output.join('\n')}`)), options.timeoutMs ?? 240_000);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line) output.push(line);
        const m = (options.until === 'listening' ? /listening on (http:\/\/[\d.]+:\d+)/ : /dashboard on (http:\/\/[\d.]+:\d+)/).exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`control plane exited with ${code} before listening:\n${output.join('\n')}`));
    });
  });
  return {
    url,
    dataDir,
    output,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Calls a tRPC procedure over HTTP the way the browser does (no batching). */
export async function trpc<T = unknown>(baseUrl: string, procedure: string, input?: unknown, kind: 'query' | 'mutation' = 'mutation'): Promise<{ ok: true; data: T } | { ok: false; status: number; message: string }> {
  const url = `${baseUrl}/api/trpc/${procedure}`;
  const res = kind === 'query'
    ? await fetch(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`)
    : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input ?? null) });
  const json = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (res.ok && json.result) return { ok: true, data: json.result.data };
  return { ok: false, status: res.status, message: json.error?.message ?? res.statusText };
}
