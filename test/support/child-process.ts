/** Starts a runner process (traffic or consumer) as the control plane would, for tests. */
import type { ChildProcess } from 'node:child_process';
import { ChildProcessHandle, type ChildExit } from '../../server/cluster/child-process';
import type { ChildConfigEnvironment } from '../../broker/config/environment';

export interface TestChild<Out> {
  child: ChildProcess;
  messages: Out[];
  /** every line it wrote, stdout and stderr */
  output: string[];
  exited: Promise<ChildExit>;
  /** SIGKILL and wait */
  kill(): Promise<void>;
  /** ask with { type: 'stop' }, SIGKILL after 10 s, and wait */
  stop(): Promise<void>;
}

export function startRunner<Out extends { type: string }>(entry: string, env: ChildConfigEnvironment): TestChild<Out> {
  const messages: Out[] = [];
  const output: string[] = [];
  const handle = new ChildProcessHandle<{ type: 'stop' }, Out>(entry, { env: env as Record<string, string> }, {
    message: (message) => messages.push(message),
    line: (line) => output.push(line),
  });
  return {
    child: handle.process,
    messages,
    output,
    exited: handle.exited,
    async kill() {
      await handle.kill();
    },
    async stop() {
      await handle.stop({ type: 'stop' }, 10_000);
    },
  };
}
