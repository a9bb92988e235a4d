import { afterEach, describe, expect, it } from 'vitest';
import { type Interrupts, REPEAT_MS, watchInterrupts } from './interrupt.ts';

describe('watchInterrupts', () => {
  let watch: Interrupts | undefined;
  afterEach(() => watch?.dispose());

  /** Watches with a clock the test moves by hand; `exits` counts the calls of onSecond. */
  function watchWithClock() {
    const clock = { t: 0, exits: 0 };
    watch = watchInterrupts(
      undefined,
      () => clock.exits++,
      () => clock.t,
    );
    return clock;
  }

  it('counts a SIGINT repeated at once (relayed by pnpm / tsx, or pkill matching them all) as one interrupt', () => {
    const clock = watchWithClock();
    expect(watch!.interrupted).toBe(false);
    process.emit('SIGINT');
    clock.t += 5;
    process.emit('SIGINT');
    process.emit('SIGTERM');
    expect(watch!.interrupted).toBe(true);
    expect(clock.exits).toBe(0);
  });

  it('exits at once on a second interrupt that comes later', () => {
    const clock = watchWithClock();
    process.emit('SIGINT');
    clock.t += REPEAT_MS + 1;
    process.emit('SIGINT');
    expect(clock.exits).toBe(1);
  });

  it('an abort signal interrupts, and dispose removes the process handlers', () => {
    const before = process.listenerCount('SIGINT');
    const ac = new AbortController();
    watch = watchInterrupts(ac.signal, () => {});
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    ac.abort();
    expect(watch.interrupted).toBe(true);
    watch.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
