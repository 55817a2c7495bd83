/**
 * The one spawner of this project's own processes (the broker, the traffic and consumer runners, and
 * in tests the control plane itself): a TypeScript entry run as `node --import tsx <entry>` in the
 * project root, with this process's environment plus the entry's variables, an IPC channel (unless
 * asked otherwise), and stdout and stderr read line by line. The child's side of the channel is
 * broker/runtime/child-runtime.ts.
 *
 * ChildProcessHandle is one run of one process. SupervisedChild is what the control plane keeps of a
 * process across its runs: its state, restarts, and its last output lines, so the dashboard can say
 * why it died. The test harness (test/support) builds on ChildProcessHandle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childProcessEnvironment, type ChildConfigEnvironment } from '../../broker/config/environment';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnEntryOptions {
  /** variables set for the child on top of this process's environment */
  env?: Readonly<Record<string, string>>;
  /** an IPC channel to the child (default true) */
  ipc?: boolean;
  /** runs the entry under this command (e.g. strace's argv): the process is then the wrapper */
  wrapCommand?: readonly string[];
}

export interface ChildListeners<Out> {
  message?(message: Out): void;
  /** every non-empty line the child writes */
  line?(line: string, stream: 'stdout' | 'stderr'): void;
  /** the spawn itself failed (no such command, ...): 'exit' may never follow */
  error?(error: Error): void;
  /** the process ended; runs before `exited` resolves, right in the exit event */
  exit?(exit: ChildExit): void;
}

/** Splits a stream's chunks into lines; a line cut between chunks is joined again. */
class LineSplitter {
  private partial = '';

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: Buffer): void {
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.emitLine(line);
  }

  /** What is left when the process ends counts as a last line. */
  end(): void {
    const rest = this.partial;
    this.partial = '';
    this.emitLine(rest);
  }

  private emitLine(line: string): void {
    if (line.trim() !== '') this.emit(line);
  }
}

/** One run of one process of this project: spawned at construction, gone once `exited` resolves. */
export class ChildProcessHandle<In, Out> {
  readonly process: ChildProcess;
  readonly exited: Promise<ChildExit>;

  constructor(entry: string, options: SpawnEntryOptions = {}, listeners: ChildListeners<Out> = {}) {
    const argv = [process.execPath, '--import', 'tsx', path.join(PROJECT_ROOT, entry)];
    const [command, ...args] = [...(options.wrapCommand ?? []), ...argv];
    const child = spawn(command!, args, {
      cwd: PROJECT_ROOT,
      env: childProcessEnvironment(options.env),
      stdio: options.ipc === false ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.process = child;
    const stdout = new LineSplitter((line) => listeners.line?.(line, 'stdout'));
    const stderr = new LineSplitter((line) => listeners.line?.(line, 'stderr'));
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('message', (message) => listeners.message?.(message as Out));
    child.on('error', (error) => listeners.error?.(error));
    this.exited = new Promise<ChildExit>((resolve) => {
      child.once('exit', (code, signal) => {
        stdout.end();
        stderr.end();
        const exit = { code, signal };
        listeners.exit?.(exit);
        resolve(exit);
      });
    });
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Sends over the IPC channel; false when there is none (any more). */
  send(message: In): boolean {
    if (!this.process.connected) return false;
    this.process.send(message as object);
    return true;
  }

  /** Signals the process, if it still runs. */
  signal(name: NodeJS.Signals): void {
    if (this.running) this.process.kill(name);
  }

  /** Graceful stop: ask (a message, or SIGTERM when there is none or it cannot be sent), then SIGKILL after graceMs. */
  async stop(ask: In | undefined, graceMs: number): Promise<ChildExit> {
    if (!this.running) return this.exited;
    if (ask === undefined || !this.send(ask)) this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** A real crash: SIGKILL, no warning. */
  kill(): Promise<ChildExit> {
    this.signal('SIGKILL');
    return this.exited;
  }
}

export type ProcessState = 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

export interface ProcessStatus {
  name: string;
  state: ProcessState;
  pid?: number;
  since: number;
  /** why it is not running: exit code or signal, and the last line it wrote to stderr */
  exitReason?: string;
  restarts: number;
}

export interface ExitInfo extends ChildExit {
  expected: boolean;
  reason: string;
}

const OUTPUT_LINES_KEPT = 40;

/** A process the control plane supervises across its runs: started, stopped, killed and restarted. */
export class SupervisedChild<In, Out> {
  private child: ChildProcessHandle<In, Out> | undefined;
  private outputTail: string[] = [];
  private expectedExit = false;
  status: ProcessStatus;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly handlers: {
      message(message: Out): void;
      exit(info: ExitInfo): void;
      output?(line: string): void;
    },
  ) {
    this.status = { name, state: 'stopped', since: Date.now(), restarts: 0 };
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns a new run, its configuration in `env` (the variable the entry reads it from). */
  start(env: ChildConfigEnvironment): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.expectedExit = false;
    this.outputTail = [];
    const keep = (line: string) => {
      this.outputTail.push(line);
      if (this.outputTail.length > OUTPUT_LINES_KEPT) this.outputTail.shift();
    };
    const child: ChildProcessHandle<In, Out> = new ChildProcessHandle<In, Out>(this.entry, { env: env as Record<string, string> }, {
      message: (message) => this.handlers.message(message),
      line: (line, stream) => {
        keep(`${stream === 'stderr' ? '!' : ' '} ${line}`);
        this.handlers.output?.(line);
      },
      error: (error) => keep(`! ${error.message}`),
      exit: ({ code, signal }) => {
        if (this.child !== child) return;
        const expected = this.expectedExit;
        const lastError = [...this.outputTail].reverse().find((l) => l.startsWith('!'))?.slice(2);
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        const reason = lastError && !expected ? `${how}: ${lastError}` : how;
        // A process that finishes its work (a count-limited traffic run) exits 0 on its own: stopped, not crashed.
        const clean = expected || (code === 0 && signal === null);
        this.status = { ...this.status, state: clean ? 'stopped' : 'crashed', since: Date.now(), exitReason: reason, pid: undefined };
        this.child = undefined;
        this.handlers.exit({ code, signal, expected, reason });
      },
    });
    this.child = child;
    if (this.status.state !== 'stopped' || this.status.exitReason) this.status.restarts++;
    this.status = { ...this.status, state: 'starting', pid: child.pid, since: Date.now(), exitReason: undefined };
  }

  markRunning(): void {
    if (this.status.state === 'starting') this.status = { ...this.status, state: 'running', since: Date.now() };
  }

  send(message: In): boolean {
    return this.child?.send(message) ?? false;
  }

  /** Graceful stop: ask, then SIGTERM, then SIGKILL after the grace period. */
  async stop(ask: In | undefined, graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || !child.running) return;
    this.expectedExit = true;
    this.status = { ...this.status, state: 'stopping', since: Date.now() };
    await child.stop(ask, graceMs);
  }

  /**
   * A real crash: SIGKILL, no warning. The exit is reported as a crash; resolves once it has been
   * (until then the process still counts as running, and a start would find it so).
   */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.process.kill('SIGKILL');
    await child.exited;
  }

  output(): string[] {
    return [...this.outputTail];
  }
}
