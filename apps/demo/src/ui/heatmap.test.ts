import { describe, expect, it } from 'vitest';
import { showToken, tokenColour } from './dom.ts';
import { colour, diverging } from './heatmap.ts';

describe('colour maps', () => {
  it('runs white → blue for attention weights, clamped', () => {
    expect(colour(0)).toEqual([255, 255, 255]);
    expect(colour(1)).toEqual([30, 70, 165]);
    expect(colour(2)).toEqual(colour(1));
    expect(colour(-1)).toEqual(colour(0));
    // small weights stay visible (square root)
    expect(colour(0.01)[0]).toBeLessThan(240);
  });
  it('diverges blue / white / red for similarities', () => {
    expect(diverging(0)).toEqual([255, 255, 255]);
    expect(diverging(1)[2]).toBeGreaterThan(diverging(1)[0]);
    expect(diverging(-1)[0]).toBeGreaterThan(diverging(-1)[2]);
  });
});

describe('token display', () => {
  it('shows spaces, newlines and tabs', () => {
    expect(showToken(' the\n\t')).toBe('·the↵⇥');
  });
  it('gives neighbours different colours', () => {
    expect(tokenColour(0)).not.toBe(tokenColour(1));
  });
});
