/** A learning-rate schedule: the rate for a step (0-based). */
export type Schedule = (step: number) => number;

export interface WarmupDecayOptions {
  warmupSteps: number;
  totalSteps: number;
  maxLr: number;
  /** the floor the decay ends at (default 0) */
  minLr?: number;
}

function warmup(step: number, o: WarmupDecayOptions): number | null {
  return step < o.warmupSteps ? (o.maxLr * step) / Math.max(1, o.warmupSteps) : null;
}

/** Linear warmup from 0 (as Hugging Face's schedules), then cosine decay to minLr at totalSteps. */
export function cosineWithWarmup(o: WarmupDecayOptions): Schedule {
  const minLr = o.minLr ?? 0;
  return (step) => {
    const w = warmup(step, o);
    if (w !== null) return w;
    const progress = Math.min(1, (step - o.warmupSteps) / Math.max(1, o.totalSteps - o.warmupSteps));
    return minLr + 0.5 * (o.maxLr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}

/** Linear warmup from 0, then linear decay to minLr at totalSteps (get_linear_schedule_with_warmup). */
export function linearWithWarmup(o: WarmupDecayOptions): Schedule {
  const minLr = o.minLr ?? 0;
  return (step) => {
    const w = warmup(step, o);
    if (w !== null) return w;
    const progress = Math.min(1, (step - o.warmupSteps) / Math.max(1, o.totalSteps - o.warmupSteps));
    return o.maxLr + (minLr - o.maxLr) * progress;
  };
}

export function constantLr(lr: number): Schedule {
  return () => lr;
}
