import { describe, expect, it } from 'vitest';
import { collapseConfusion, confusionMatrixSvg } from './confusion.ts';

/** Checks that `svg` is well-formed enough: balanced tags, quoted attributes, only entities after a `&`. */
function expectWellFormed(svg: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)([^<>]*?)(\/?)>/g;
  for (const m of svg.matchAll(tag)) {
    const [, close, name, attrs, selfClose] = m;
    expect(attrs).toMatch(/^(\s+[\w:-]+="[^"<>]*")*\s*$/);
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) stack.push(name!);
  }
  expect(stack).toEqual([]);
  const text = svg.replace(tag, '');
  expect(text).not.toMatch(/[<>]/);
  expect(text.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg).toMatch(/viewBox="0 0 \d+ \d+"/);
}

/** The texts of the <text> elements, without their <title> tooltips. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>(.*?)<\/text>/g)].map((m) => m[1]!.replace(/<title>.*?<\/title>/g, ''));
}

describe('confusionMatrixSvg', () => {
  it('draws a grid with counts, axis titles and escaped label names', () => {
    const labels = ['a<b', 'x&y', 'say "hi"'];
    const svg = confusionMatrixSvg({
      labels,
      matrix: [
        [5, 1, 0],
        [2, 7, 0],
        [0, 0, 3],
      ],
      title: 'sst <dev>',
    });
    expectWellFormed(svg);
    const t = texts(svg);
    expect(t).toContain('sst &lt;dev&gt;');
    expect(t).toContain('gold');
    expect(t).toContain('predicted');
    for (const l of ['a&lt;b', 'x&amp;y', 'say &quot;hi&quot;'])
      expect(t.filter((x) => x === l)).toHaveLength(2);
    for (const n of ['5', '1', '2', '7', '3']) expect(t).toContain(n);
    // a zero count is not written
    expect(t).not.toContain('0');
    expect(svg).not.toContain('a<b');
    // 9 cells; the fullest cell of a row (7 of 9) is darker than a cell with 2 of 9; a row's only cell is darkest
    expect(svg.match(/<rect x="\d+" y="\d+" width="\d+" height="\d+" fill="rgb/g)).toHaveLength(9);
    expect(svg).toContain('fill="rgb(8,48,107)"');
    expect(svg).toContain('fill="rgb(255,255,255)"');
  });

  it('cuts long label names, keeping the full name in a tooltip', () => {
    const long = 'a_really_long_label_name';
    const svg = confusionMatrixSvg({
      labels: [long, 'b'],
      matrix: [
        [1, 0],
        [0, 1],
      ],
      title: 't',
    });
    expectWellFormed(svg);
    expect(texts(svg)).toContain('a_really_long…');
    expect(svg).toContain(`<title>${long}</title>`);
  });

  it('shows the 30 labels with the most gold examples and sums the rest into "other"', () => {
    // 104 labels; label i has i + 1 gold examples, all on the diagonal except that L103 is predicted as L0 once
    const labels = Array.from({ length: 104 }, (_, i) => `L${i}`);
    const matrix = labels.map((_, i) => labels.map((_, j) => (i === j ? i + 1 : 0)));
    matrix[103]![103]! -= 1;
    matrix[103]![0]! += 1;
    const c = collapseConfusion(labels, matrix, 30);
    expect(c.labels).toEqual([...labels.slice(74), 'other']);
    expect(c.collapsed).toBe(74);
    // "other" collects L0…L73: 1 + 2 + … + 74 = 74·75/2 = 2775 on its diagonal, plus L103 → L0 in its column
    expect(c.matrix[30]![30]).toBe(2775);
    expect(c.matrix[29]![30]).toBe(1);
    expect(c.matrix[29]![29]).toBe(103);
    const total = (m: number[][] | readonly (readonly number[])[]) => m.flat().reduce((a, b) => a + b, 0);
    expect(total(c.matrix)).toBe(total(matrix));
    const svg = confusionMatrixSvg({ labels, matrix, title: 'pos tags' });
    expectWellFormed(svg);
    const t = texts(svg);
    expect(t.filter((x) => x === 'other')).toHaveLength(2);
    expect(t).toContain('L74');
    expect(t).not.toContain('L73');
    expect(t.some((x) => x.includes('other 74 are summed'))).toBe(true);
    expect(t).toContain('2.8k');
    expect(svg.match(/<rect x="\d+" y="\d+" width="\d+" height="\d+" fill="rgb/g)).toHaveLength(31 * 31);
  });

  it('names the bucket "(other)" when a kept label is "other", and rejects a matrix of the wrong shape', () => {
    const labels = ['other', 'b', 'c'];
    const c = collapseConfusion(
      labels,
      [
        [5, 0, 0],
        [0, 4, 0],
        [0, 0, 1],
      ],
      2,
    );
    expect(c.labels).toEqual(['other', 'b', '(other)']);
    expect(() => confusionMatrixSvg({ labels, matrix: [[1]], title: 't' })).toThrow(RangeError);
  });
});
