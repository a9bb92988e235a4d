// Ctrl-C (SIGINT), SIGTERM and an AbortSignal as one flag that a training loop polls between steps, so that it
// can finish the step and save. A second Ctrl-C exits at once through `onSecond`.
//
// One Ctrl-C can arrive several times: a terminal sends SIGINT to the whole process group (pnpm, tsx's relay
// process, node), the relays forward it again, and `pkill -INT -f` matches all of them. So a repeat within
// `REPEAT_MS` of the first is the same interrupt; only a later one (a person pressing again) exits at once.
/** Interrupts this close after the first count as the same one (milliseconds). */
export const REPEAT_MS = 1000;

export interface Interrupts {
  /** true once an interrupt arrived (or `set()` was called) */
  readonly interrupted: boolean;
  set(): void;
  /** removes the process handlers */
  dispose(): void;
}

export function watchInterrupts(
  signal: AbortSignal | undefined,
  onSecond: () => void,
  now: () => number = Date.now,
): Interrupts {
  let interrupted = false;
  let first = 0;
  const set = () => {
    if (interrupted) return;
    interrupted = true;
    first = now();
  };
  const onSignal = () => {
    if (interrupted && now() - first > REPEAT_MS) onSecond();
    else set();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  signal?.addEventListener('abort', set);
  return {
    get interrupted() {
      return interrupted;
    },
    set,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
