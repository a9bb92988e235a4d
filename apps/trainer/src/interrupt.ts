// Ctrl-C (SIGINT), SIGTERM and an AbortSignal as one flag that a training loop polls between steps, so that it
// can finish the step and save. A second Ctrl-C exits at once through `onSecond`.

export interface Interrupts {
  /** true once an interrupt arrived (or `set()` was called) */
  readonly interrupted: boolean;
  set(): void;
  /** removes the process handlers */
  dispose(): void;
}

export function watchInterrupts(signal: AbortSignal | undefined, onSecond: () => void): Interrupts {
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) onSecond();
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  signal?.addEventListener('abort', () => {
    interrupted = true;
  });
  return {
    get interrupted() {
      return interrupted;
    },
    set() {
      interrupted = true;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
