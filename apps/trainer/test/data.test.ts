import { describe, expect, it } from 'vitest';
import { lineChartSvg } from '../src/chart.ts';
import { parseDuration, resolveTrainConfig } from '../src/config.ts';
import { loadMobyDick, sentencesOf, splitCorpus } from '../src/data.ts';

describe('the Moby-Dick split', () => {
  it("is the issue's: 124 training and 14 validation documents, 1,080,331 and 128,393 characters", () => {
    const docs = loadMobyDick();
    expect(docs).toHaveLength(138);
    const s = splitCorpus(docs, null);
    expect(s.train).toHaveLength(124);
    expect(s.validation.map((d) => d.name).slice(0, 2)).toEqual(['chapter_123', 'chapter_124']);
    expect(s.validation.at(-1)!.name).toBe('epilogue');
    expect(s.trainText.length).toBe(1_080_331);
    expect(s.validationText.length).toBe(128_393);
  });

  it('splits sentences paragraph by paragraph', () => {
    expect(
      sentencesOf('Call me Ishmael. Some years ago —\nnever mind how long.\n\nIt is a way I have.'),
    ).toEqual(['Call me Ishmael.', 'Some years ago — never mind how long.', 'It is a way I have.']);
  });

  it('cuts a one-document corpus at a paragraph boundary near 90%', () => {
    const text = Array.from({ length: 20 }, (_, i) => `Paragraph ${i}.`).join('\n\n');
    const s = splitCorpus([{ name: 'one', text }], null);
    expect(s.validationText.startsWith('Paragraph 18.') || s.validationText.startsWith('Paragraph 19.')).toBe(
      true,
    );
  });
});

describe('config', () => {
  it('parses durations', () => {
    expect(parseDuration('600')).toBe(600);
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('90s')).toBe(90);
    expect(() => parseDuration('ten')).toThrow(/not a duration/);
  });

  it('presets are overridden by flags; --steps and --max-time replace each other', () => {
    const { config, fromFlags } = resolveTrainConfig('gpt', { lr: '0.01', steps: '50' });
    expect(config.lr).toBe(0.01);
    expect(config.maxSteps).toBe(50);
    expect(config.maxTime).toBeNull();
    expect(config.tokenizer).toBe('bpe');
    expect([...fromFlags].sort()).toEqual(['lr', 'maxSteps']);
    expect(resolveTrainConfig('bert', {}).config.tokenizer).toBe('wordpiece');
    expect(() => resolveTrainConfig('bert', { preset: 'tiny-gpt' })).toThrow(/is a gpt preset/);
  });
});

describe('lineChartSvg', () => {
  it('draws polylines and escapes text', () => {
    const svg = lineChartSvg({
      title: 'a < b',
      xLabel: 'step',
      yLabel: 'loss',
      series: [
        {
          name: 'train',
          color: 'red',
          points: [
            [1, 5],
            [2, 4],
            [3, Number.NaN],
          ],
        },
      ],
    });
    expect(svg).toContain('a &lt; b');
    expect(svg.match(/<polyline/g)).toHaveLength(1);
  });
});
