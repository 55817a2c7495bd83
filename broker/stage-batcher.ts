/** Batches stage events so one IPC message carries ~50 ms of them. */
const MAX_BATCH = 5000;

export class StageBatcher {
  private pending: [string, number, number][] = [];
  private flushedOffset: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  storedTotal = 0;

  constructor(private readonly emit: (batch: { atMs: number; stored: [string, number, number][]; flushedOffset?: number }) => void, private readonly intervalMs = 50) {}

  stored(id: string, commitLogOffset: number, size: number): void {
    this.pending.push([id, commitLogOffset, size]);
    this.storedTotal++;
    if (this.pending.length >= MAX_BATCH) this.flush();
    else this.schedule();
  }

  flushed(offset: number): void {
    this.flushedOffset = offset;
    this.schedule();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 && this.flushedOffset === undefined) return;
    this.emit({ atMs: Date.now(), stored: this.pending, flushedOffset: this.flushedOffset });
    this.pending = [];
    this.flushedOffset = undefined;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }
}
