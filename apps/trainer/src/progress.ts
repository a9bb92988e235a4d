// The progress line on stderr: step, tokens/s, loss and time left. On a terminal it redraws in place; in a
// log file it prints a line every few seconds.

export interface ProgressInfo {
  step: number;
  totalSteps: number | null;
  loss: number;
  lr: number;
  /** tokens (GPT) or sequences (BERT) per second of training */
  rate: number;
  rateUnit: string;
  trainTime: number;
  /** seconds left, when known */
  eta: number | null;
}

export function formatTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}`
    : `${m}:${String(r).padStart(2, '0')}`;
}

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private lastPrint = 0;
  private shown = false;
  private readonly quiet: boolean;

  constructor(stream: NodeJS.WriteStream = process.stderr, options: { quiet?: boolean } = {}) {
    this.stream = stream;
    this.tty = stream.isTTY === true;
    this.quiet = options.quiet ?? false;
  }

  line(p: ProgressInfo): string {
    const total = p.totalSteps;
    const width = 24;
    const frac = total ? Math.min(1, p.step / total) : 0;
    const filled = Math.round(frac * width);
    const bar = total
      ? `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}] `
      : '';
    const steps = total ? `${p.step}/${total}` : `${p.step}`;
    const eta = p.eta === null ? 'measuring speed' : `ETA ${formatTime(p.eta)}`;
    return `${bar}step ${steps} | ${Math.round(p.rate).toLocaleString('en-US')} ${p.rateUnit}/s | loss ${p.loss.toFixed(4)} | lr ${p.lr.toExponential(2)} | ${formatTime(p.trainTime)} | ${eta}`;
  }

  update(p: ProgressInfo): void {
    if (this.quiet) return;
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastPrint < 100) return;
      this.lastPrint = now;
      const cols = this.stream.columns ?? 120;
      this.stream.write(`\r\x1b[2K${this.line(p).slice(0, cols - 1)}`);
      this.shown = true;
    } else if (now - this.lastPrint >= 10_000) {
      this.lastPrint = now;
      this.stream.write(`${this.line(p)}\n`);
    }
  }

  /** Clears the bar so that other output starts on a clean line. */
  clear(): void {
    if (this.tty && this.shown) {
      this.stream.write('\r\x1b[2K');
      this.shown = false;
    }
  }
}
