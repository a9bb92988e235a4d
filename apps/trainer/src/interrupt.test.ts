import { afterEach, describe, expect, it } from 'vitest';
import { type Interrupts, REPEAT_MS, watchInterrupts } from './interrupt.ts';

describe('watchInterrupts', () => {
  let watch: Interrupts | undefined;
  afterEach(() => watch?.dispose());

  it('counts a SIGINT repeated at once (relayed by pnpm / tsx, or pkill matching them all) as one interrupt', () => {
    let t = 0;
    let exits = 0;
    watch = watchInterrupts(
      undefined,
      () => exits++,
      () => t,
    );
    expect(watch.interrupted).toBe(false);
    process.emit('SIGINT');
    t += 5;
    process.emit('SIGINT');
    process.emit('SIGTERM');
    expect(watch.interrupted).toBe(true);
    expect(exits).toBe(0);
  });

  it('exits at once on a second interrupt that comes later', () => {
    let t = 0;
    let exits = 0;
    watch = watchInterrupts(
      undefined,
      () => exits++,
      () => t,
    );
    process.emit('SIGINT');
    t += REPEAT_MS + 1;
    process.emit('SIGINT');
    expect(exits).toBe(1);
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
