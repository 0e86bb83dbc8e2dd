import { escapeControl } from '@deitjs/core';
/** Where progress goes: a writable text stream (process.stderr by default); `isTTY` selects the single-line bar. */
export interface ProgressStream {
  /** Writes text. */
  write(chunk: string): unknown;
  /** Whether the stream is a terminal. */
  isTTY?: boolean;
  /** Terminal width, when known. */
  columns?: number;
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** The stream (default `process.stderr`). */
  stream?: ProgressStream;
  /** Force the bar on or off (default: the stream's `isTTY`). */
  tty?: boolean;
  /** Plain output: one line every this many updates, plus the last of each epoch (default 50). */
  everySteps?: number;
  /** Clock in milliseconds (injectable for tests; default `performance.now`). */
  now?: () => number;
}

/** One optimiser update as the progress display sees it. */
export interface ProgressStep {
  /** Epoch (0-based). */
  epoch: number;
  /** Micro-batches done in this epoch. */
  batch: number;
  /** Loss of this update. */
  loss: number;
  /** Learning rate of this update. */
  lr: number;
  /** Images this update consumed. */
  images: number;
}

/** Summary of a finished epoch. */
export interface ProgressEpoch {
  /** Epoch (0-based). */
  epoch: number;
  /** Mean training loss. */
  trainLoss: number;
  /** Evaluation top-1/top-5 (percent) when there was an evaluation. */
  eval?: { top1: number; top5: number; loss: number };
  /** Whether this epoch produced a new best checkpoint. */
  best?: boolean;
}

/** Formats seconds as h:mm:ss or m:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** How the display names an epoch: its 0-based index, the number metrics, checkpoints and results hold, then its place in the run. */
function epochLabel(epoch: number, epochs: number): string {
  return `epoch ${epoch} (${epoch + 1}/${epochs})`;
}

/**
 * Training progress: on a TTY one line rewritten with `\r` (bar, ETA, images/s, running loss, LR);
 * otherwise a plain line every N updates; a line per epoch and a summary at the end.
 */
export class Progress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly every: number;
  private readonly now: () => number;
  private epochs = 1;
  private total = 1;
  private startBatch = 0;
  private updates = 0;
  private epochStartMs = 0;
  private runStartMs: number;
  private images = 0;
  private totalImages = 0;
  private lossSum = 0;
  private lastWidth = 0;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.every = Math.max(1, options.everySteps ?? 50);
    this.now = options.now ?? (() => performance.now());
    this.runStartMs = this.now();
  }

  /** Marks the start of an epoch of `batches` micro-batches, `startBatch` of them already done (resume). */
  epochStart(epoch: number, epochs: number, batches: number, startBatch = 0): void {
    this.epochs = epochs;
    this.total = Math.max(1, batches);
    this.startBatch = startBatch;
    this.updates = 0;
    this.images = 0;
    this.lossSum = 0;
    this.epochStartMs = this.now();
    if (!this.tty) this.stream.write(`${epochLabel(epoch, epochs)}: ${batches} batches${startBatch > 0 ? `, resuming at batch ${startBatch}` : ''}\n`);
  }

  /** Reports one optimiser update. */
  step(s: ProgressStep): void {
    this.updates += 1;
    this.images += s.images;
    this.totalImages += s.images;
    this.lossSum += s.loss;
    const seconds = (this.now() - this.epochStartMs) / 1000;
    const done = s.batch - this.startBatch;
    const eta = done > 0 ? (seconds / done) * (this.total - s.batch) : Number.NaN;
    const rate = seconds > 0 ? this.images / seconds : 0;
    const loss = this.lossSum / this.updates;
    const stats = `${rate.toFixed(1)} img/s | loss ${loss.toFixed(4)} | lr ${s.lr.toExponential(2)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.min(width, Math.round((width * s.batch) / this.total));
      const bar = `${'='.repeat(filled)}${'.'.repeat(width - filled)}`;
      const full = `${epochLabel(s.epoch, this.epochs)} [${bar}] ${s.batch}/${this.total} ETA ${formatDuration(eta)} | ${stats}`;
      // A line longer than the terminal wraps, and \r can then only rewrite its last row.
      const cols = this.stream.columns;
      const line = cols !== undefined && cols > 1 ? full.slice(0, cols - 1) : full;
      const pad = ' '.repeat(Math.max(0, this.lastWidth - line.length));
      this.lastWidth = line.length;
      this.stream.write(`\r${line}${pad}`);
    } else if (this.updates % this.every === 0 || s.batch >= this.total) {
      this.stream.write(`${epochLabel(s.epoch, this.epochs)} batch ${s.batch}/${this.total} | ${stats} | eta ${formatDuration(eta)}\n`);
    }
  }

  /** Reports the end of an epoch (ends the bar's line on a TTY). */
  epochEnd(e: ProgressEpoch): void {
    if (this.tty && this.lastWidth > 0) this.stream.write('\n');
    this.lastWidth = 0;
    const seconds = (this.now() - this.epochStartMs) / 1000;
    const ev = e.eval === undefined ? '' : ` | eval loss ${e.eval.loss.toFixed(4)} top-1 ${e.eval.top1.toFixed(2)}% top-5 ${e.eval.top5.toFixed(2)}%`;
    this.stream.write(`${epochLabel(e.epoch, this.epochs)} done in ${formatDuration(seconds)} | train loss ${e.trainLoss.toFixed(4)}${ev}${e.best ? ' (best)' : ''}\n`);
  }

  /** Writes a one-off message on its own line(s), control characters escaped (it may quote a checkpoint's values or a path). */
  note(message: string): void {
    if (this.tty && this.lastWidth > 0) this.stream.write('\n');
    this.lastWidth = 0;
    this.stream.write(`${message.split('\n').map(escapeControl).join('\n')}\n`);
  }

  /** Writes the run summary; the best epoch is printed as its 0-based index, as `summary.best.epoch` holds it. */
  end(summary: { epochs: number; stopped: boolean; best?: { metric: string; value: number; epoch: number } | null }): void {
    const seconds = (this.now() - this.runStartMs) / 1000;
    const best = summary.best ? ` | best ${summary.best.metric} ${summary.best.value.toFixed(4)} at epoch ${summary.best.epoch}` : '';
    this.note(
      `${summary.stopped ? 'stopped' : 'finished'} after ${summary.epochs} epoch(s) in ${formatDuration(seconds)}, ` +
        `${this.totalImages} images (${seconds > 0 ? (this.totalImages / seconds).toFixed(1) : '0'} img/s)${best}`,
    );
  }
}
