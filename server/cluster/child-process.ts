/**
 * A supervised child process of the control plane: a TypeScript entry run with tsx, an IPC channel,
 * its output kept (the last lines) so the dashboard can say why it died.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

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

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
  reason: string;
}

const OUTPUT_LINES_KEPT = 40;

export class SupervisedChild<In, Out> {
  private child: ChildProcess | undefined;
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
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(env: Record<string, string>): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.expectedExit = false;
    this.outputTail = [];
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, this.entry)], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    if (this.status.state !== 'stopped' || this.status.exitReason) this.status.restarts++;
    this.status = { ...this.status, state: 'starting', pid: child.pid, since: Date.now(), exitReason: undefined };
    const onLine = (stream: 'out' | 'err') => (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.outputTail.push(`${stream === 'err' ? '!' : ' '} ${line}`);
        if (this.outputTail.length > OUTPUT_LINES_KEPT) this.outputTail.shift();
        this.handlers.output?.(line);
      }
    };
    child.stdout?.on('data', onLine('out'));
    child.stderr?.on('data', onLine('err'));
    child.on('message', (message) => this.handlers.message(message as Out));
    child.on('error', (error) => {
      this.outputTail.push(`! ${error.message}`);
    });
    child.on('exit', (code, signal) => {
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
    });
  }

  markRunning(): void {
    if (this.status.state === 'starting') this.status = { ...this.status, state: 'running', since: Date.now() };
  }

  send(message: In): boolean {
    if (!this.child?.connected) return false;
    this.child.send(message as object);
    return true;
  }

  /** Graceful stop: ask, then SIGTERM, then SIGKILL after the grace period. */
  async stop(ask: In | undefined, graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectedExit = true;
    this.status = { ...this.status, state: 'stopping', since: Date.now() };
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (ask === undefined || !this.send(ask)) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** A real crash: SIGKILL, no warning. The exit is reported as a crash. */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  output(): string[] {
    return [...this.outputTail];
  }
}
