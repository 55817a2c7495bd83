/**
 * Starts the real control plane (`server/main.ts`, as `npm start` does) on free ports with its own
 * temp database and data dir, and stops it with everything it spawned.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChildProcessHandle } from '../../server/cluster/child-process';
import type { ServerVariable } from '../../server/environment';

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
export async function startAppServer(options: { timeoutMs?: number; env?: Partial<Record<ServerVariable, string>>; dataDir?: string; keepData?: boolean; until?: 'ready' | 'listening' } = {}): Promise<AppServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-app-'));
  const output: string[] = [];
  const listening = options.until === 'listening' ? /listening on (http:\/\/[\d.]+:\d+)/ : /dashboard on (http:\/\/[\d.]+:\d+)/;
  let announced: ((url: string) => void) | undefined;
  const handle = new ChildProcessHandle<never, never>('server/main.ts', {
    ipc: false,
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      BROKER_PORT: '0',
      NAMESRV_PORT: '0',
      ZL_DATA_DIR: dataDir,
      DATABASE_URL: `file:${path.join(dataDir, 'zeroloss.db')}`,
      ...options.env,
    } satisfies Partial<Record<ServerVariable, string>> as Record<string, string>,
  }, {
    line: (line) => {
      output.push(line);
      const m = listening.exec(line);
      if (m) announced?.(m[1]);
    },
  });
  const child = handle.process;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`control plane did not start within ${options.timeoutMs ?? 240_000} ms:\n${output.join('\n')}`)), options.timeoutMs ?? 240_000);
    announced = (found) => {
      clearTimeout(timer);
      resolve(found);
    };
    void handle.exited.then(({ code }) => {
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
      await handle.stop(undefined, 15_000);
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
