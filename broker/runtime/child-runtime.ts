/**
 * The child's side of a supervised process: the one runtime every process entry runs on
 * (broker/main.ts, broker/namesrv/main.ts, server/traffic/*-main.ts). The parent's side, which spawns
 * these entries, is server/cluster/child-process.ts.
 *
 * It owns the lifecycle around an entry's own work, the same for every entry:
 *   - reports to the parent over Node's IPC channel; without a channel (an entry started by hand) or
 *     once the parent is gone, a report is dropped;
 *   - "ready" once the entry serves, with the process id;
 *   - messages from the parent, handed to the entry as they come;
 *   - the stop: a stop signal (SIGTERM, and any other the entry names), the parent going away, or
 *     the entry itself (a parent's stop message, the end of the work) runs the entry's stop routine
 *     exactly once, then the process exits 0;
 *   - a fatal error: reported as { type: 'fatal', message }, then the process exits 2;
 *   - a last report before a SIGKILL of itself (the broker's power cut), which waits for the IPC
 *     pipe so that neither the report nor anything sent before it is lost.
 *
 * What a stop does, and what any message means, is the entry's: the runtime only decides when.
 * Stop signals and the parent's going away are listened to only from onStop(): until then they end
 * the process as Node would by default.
 */

import { systemClock } from '../io/clock';
import type { FatalReport } from '../ipc.js';

/** The exit code of a child that could not do its work (a failed start, a bad configuration). */
const EXIT_CODE_FATAL = 2;

/**
 * The exit code of a child that stopped cleanly to be started again with the same options (a
 * controller-mode replica that must cut its log before it follows its master): its supervisor
 * restarts it (EX_TEMPFAIL).
 */
export const EXIT_CODE_RESTART = 75;

/**
 * process.exit does not wait for the IPC pipe: the process lingers this long before it exits so that
 * its last reports (the final outcomes, "done", "fatal") leave first.
 */
const EXIT_DELAY_MS = 20;

/** The stop reason when the IPC channel closes: the parent exited or let go of this process. */
const STOP_REASON_PARENT_GONE = 'control plane gone';

type ReadyDetails<Out> = Omit<Extract<Out, { type: 'ready' }>, 'type' | 'pid'>;

export class ChildRuntime<Out extends { type: string }, In extends { type: string } = never> {
  private stopRoutine: ((reason: string) => Promise<void> | void) | undefined;
  private stopping = false;

  /** a parent listens on the IPC channel (false when started by hand, or once the parent is gone) */
  get connected(): boolean {
    return process.send !== undefined && process.connected;
  }

  /** Reports to the parent; dropped without a channel. */
  send(message: Out): void {
    this.post(message);
  }

  /**
   * Reports to the parent and resolves once the report has left this process (IPC keeps order, so
   * every report before it has left too); at once without a channel. It never rejects.
   */
  sendAndWait(message: Out): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!this.connected) return resolve();
      process.send!(message, undefined, {}, () => resolve());
    });
  }

  /** Tells the parent this process serves now: { type: 'ready', pid, ...details }. */
  ready(...[details]: {} extends ReadyDetails<Out> ? [ReadyDetails<Out>?] : [ReadyDetails<Out>]): void {
    this.post({ type: 'ready', pid: process.pid, ...details });
  }

  /** Hands every message from the parent to the entry, from now on. */
  onMessage(handler: (message: In) => void): void {
    process.on('message', (raw) => handler(raw as In));
  }

  /**
   * From now on these stop the process: each signal named (SIGTERM by default) and the parent's
   * going away. The routine runs once, whatever asks first; the process exits 0 after it.
   */
  onStop(routine: (reason: string) => Promise<void> | void, options: { signals?: readonly NodeJS.Signals[] } = {}): void {
    this.stopRoutine = routine;
    for (const signal of options.signals ?? ['SIGTERM']) process.on(signal, () => void this.stop(signal));
    process.on('disconnect', () => void this.stop(STOP_REASON_PARENT_GONE));
  }

  /**
   * Runs the stop routine (once; a second call does nothing) and exits 0 after it. A routine that
   * throws is a crash, not a stop: the rejection is left unhandled and Node ends the process.
   */
  async stop(reason: string, exitCode = 0): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.stopRoutine?.(reason);
    this.exit(exitCode);
  }

  /** Stops as stop() does, and exits EXIT_CODE_RESTART: the supervisor starts this process again. */
  restart(reason: string): Promise<void> {
    return this.stop(reason, EXIT_CODE_RESTART);
  }

  /** Reports a fatal error to the parent and exits with EXIT_CODE_FATAL. */
  fatal(message: string): void {
    this.post({ type: 'fatal', message } satisfies FatalReport);
    this.exit(EXIT_CODE_FATAL);
  }

  /**
   * Runs the entry's main; a throw or a rejection is fatal: `log` writes it where an operator reads
   * it (stderr, which the parent keeps), then the parent gets the report and the process exits 2.
   */
  run(main: () => void | Promise<void>, log: (error: Error) => void = () => {}): void {
    const failed = (error: unknown) => {
      const cause = error instanceof Error ? error : new Error(String(error));
      log(cause);
      this.fatal(cause.message);
    };
    try {
      const started = main();
      if (started instanceof Promise) started.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /**
   * Sends a last report, then SIGKILLs this process once the report has left (and so, IPC keeping
   * order, every report before it). A parent that does not read gets waitMs: then `undelivered`
   * runs and the SIGKILL goes ahead without the report. Without a channel the SIGKILL comes at once.
   */
  reportThenKill(message: Out, waitMs: number, undelivered: () => void): void {
    const kill = () => void process.kill(process.pid, 'SIGKILL');
    if (!this.connected) return kill();
    const timer = systemClock.setTimeout(() => {
      undelivered();
      kill();
    }, waitMs);
    process.send!(message, undefined, {}, () => {
      timer.cancel();
      kill();
    });
  }

  /** Exits with `code` once the last reports had EXIT_DELAY_MS to leave. */
  exit(code: number): void {
    process.exitCode = code;
    systemClock.setTimeout(() => process.exit(code), EXIT_DELAY_MS);
  }

  private post(message: object): void {
    if (this.connected) process.send!(message);
  }
}
