// Evaluation metrics of fine-tuned models, as pure functions; every score is a fraction in [0, 1].
//
// Classification (sequence, pair) and per-word tagging (token) follow scikit-learn's precision_recall_fscore_support
// with zero_division=0: a precision, recall or F1 whose denominator is 0 is 0. Macro-F1 is the unweighted mean
// of the per-label F1 over the labels that occur in the gold or the predicted labels (scikit-learn's default
// label set), so a label that is neither in the data nor predicted does not pull the mean down; it is still
// listed, with zeros. Question answering follows the official SQuAD v1.1 evaluation script.

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** the number of gold examples of this label */
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  macroF1: number;
  /** one entry per label, in the order of `labels` */
  perClass: ClassMetrics[];
  /** confusion[gold][predicted]: counts, rows gold labels, columns predicted labels, in the order of `labels` */
  confusion: number[][];
}

export interface TagMetrics {
  tag: string;
  precision: number;
  recall: number;
  f1: number;
  /** the number of gold words with this tag */
  support: number;
}

export interface TokenReport {
  /** the share of words whose predicted tag is the gold tag */
  tokenAccuracy: number;
  /** the tags of gold or predictions, sorted (string compare), with their scores */
  perTag: TagMetrics[];
  /** the unweighted mean F1 over `perTag` */
  macroF1: number;
  /** confusion[gold][predicted]: word counts, rows and columns in the order of `perTag` */
  confusion: number[][];
}

export interface SquadScores {
  /** the share of examples whose normalised prediction equals a normalised answer */
  exactMatch: number;
  /** the mean over examples of the best token-overlap F1 against the answers */
  f1: number;
}

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/**
 * Precision, recall and F1 of each class of a confusion matrix (rows gold, columns predicted). `missed[c]` counts
 * items of gold class c that got no prediction at all (wrong, but in no column).
 */
function scoresOf(
  confusion: readonly (readonly number[])[],
  missed: readonly number[] = [],
): {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  macroF1: number;
  correct: number;
  total: number;
} {
  const k = confusion.length;
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  let correct = 0;
  let total = 0;
  let f1Sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c]![c]!;
    let rowSum = missed[c] ?? 0;
    let colSum = 0;
    for (let j = 0; j < k; j++) {
      rowSum += confusion[c]![j]!;
      colSum += confusion[j]![c]!;
    }
    const fp = colSum - tp;
    const fn = rowSum - tp;
    precision.push(ratio(tp, tp + fp));
    recall.push(ratio(tp, tp + fn));
    // 2PR / (P + R) = 2TP / (2TP + FP + FN), exact when defined, 0 when TP = 0
    f1.push(ratio(2 * tp, 2 * tp + fp + fn));
    support.push(rowSum);
    correct += tp;
    total += rowSum;
    if (rowSum > 0 || colSum > 0) {
      f1Sum += f1[c]!;
      present++;
    }
  }
  return { precision, recall, f1, support, macroF1: ratio(f1Sum, present), correct, total };
}

/**
 * Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix of label ids (indices into
 * `labels`). Throws a RangeError when the arrays differ in length or an id is out of range.
 */
export function classificationReport(
  gold: readonly number[],
  pred: readonly number[],
  labels: readonly string[],
): ClassificationReport {
  if (gold.length !== pred.length)
    throw new RangeError(`${gold.length} gold labels but ${pred.length} predictions`);
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    const p = pred[i]!;
    if (!(Number.isInteger(g) && g >= 0 && g < k && Number.isInteger(p) && p >= 0 && p < k))
      throw new RangeError(
        `label ids must be integers in [0, ${k}); example ${i} has gold ${g}, predicted ${p}`,
      );
    confusion[g]![p]!++;
  }
  const s = scoresOf(confusion);
  return {
    accuracy: ratio(s.correct, s.total),
    macroF1: s.macroF1,
    perClass: labels.map((label, c) => ({
      label,
      precision: s.precision[c]!,
      recall: s.recall[c]!,
      f1: s.f1[c]!,
      support: s.support[c]!,
    })),
    confusion,
  };
}

/** The F1 of one label of a report, e.g. "spam" of a spam/ham classifier. */
export function binaryF1(report: ClassificationReport, positiveLabel: string): number {
  const entry = report.perClass.find((c) => c.label === positiveLabel);
  if (!entry)
    throw new RangeError(
      `no label ${JSON.stringify(positiveLabel)} in the report (labels: ${report.perClass.map((c) => c.label).join(', ')})`,
    );
  return entry.f1;
}

/**
 * Per-word tagging scores: gold[s][w] and pred[s][w] are the tags of word w of sentence s. Tags are the union of
 * the gold and predicted tags, sorted. Throws a RangeError when the sentences or their lengths differ.
 */
export function tokenReport(
  gold: readonly (readonly string[])[],
  pred: readonly (readonly string[])[],
): TokenReport {
  if (gold.length !== pred.length)
    throw new RangeError(`${gold.length} gold sentences but ${pred.length} predicted`);
  const set = new Set<string>();
  gold.forEach((g, s) => {
    const p = pred[s]!;
    if (g.length !== p.length)
      throw new RangeError(`sentence ${s} has ${g.length} gold tags but ${p.length} predicted tags`);
    for (const t of g) set.add(t);
    for (const t of p) if (t !== '') set.add(t);
  });
  const tags = [...set].sort();
  const index = new Map(tags.map((t, i) => [t, i]));
  const k = tags.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  // "" = no prediction (a word cut off by the length limit): wrong for its gold tag, in no column
  const missed = new Array<number>(k).fill(0);
  gold.forEach((g, s) => {
    const p = pred[s]!;
    for (let w = 0; w < g.length; w++) {
      const gi = index.get(g[w]!)!;
      if (p[w] === '') missed[gi]!++;
      else confusion[gi]![index.get(p[w]!)!]!++;
    }
  });
  const sc = scoresOf(confusion, missed);
  return {
    tokenAccuracy: ratio(sc.correct, sc.total),
    perTag: tags.map((tag, c) => ({
      tag,
      precision: sc.precision[c]!,
      recall: sc.recall[c]!,
      f1: sc.f1[c]!,
      support: sc.support[c]!,
    })),
    macroF1: sc.macroF1,
    confusion,
  };
}

// Python's string.punctuation: the ASCII punctuation characters.
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
// Python 3's re `\b(a|an|the)\b` on str: word characters are Unicode letters, digits and "_".
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
// Python's str.split() with no argument: runs of Unicode whitespace (str.isspace()).
// biome-ignore lint/suspicious/noControlCharactersInRegex: str.isspace() is true for the separators U+001C–U+001F
const WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** SQuAD v1.1's normalize_answer: lower-case, drop ASCII punctuation, drop the articles a/an/the, collapse whitespace. */
export function normalizeAnswer(s: string): string {
  let t = s.toLowerCase();
  t = Array.from(t)
    .filter((ch) => !PUNCTUATION.has(ch))
    .join('');
  t = t.replace(ARTICLES, ' ');
  return squadTokens(t).join(' ');
}

function squadTokens(s: string): string[] {
  return s.split(WHITESPACE).filter((w) => w !== '');
}

/** SQuAD v1.1's exact match of one prediction against one answer: 1 or 0. */
export function squadExactMatch(prediction: string, answer: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(answer) ? 1 : 0;
}

/**
 * SQuAD v1.1's token-overlap F1 of one prediction against one answer. As in the v1.1 script (unlike v2.0's), a
 * prediction or answer that normalises to nothing scores 0.
 */
export function squadF1(prediction: string, answer: string): number {
  const p = squadTokens(normalizeAnswer(prediction));
  const g = squadTokens(normalizeAnswer(answer));
  const counts = new Map<string, number>();
  for (const w of g) counts.set(w, (counts.get(w) ?? 0) + 1);
  let same = 0;
  for (const w of p) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      same++;
      counts.set(w, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / p.length;
  const recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * Exact match and F1 as in SQuAD v1.1's evaluate-v1.1.py, as fractions (the script prints percentages): each
 * example scores its best over its answers (one string, or several), and the scores are averaged over examples
 * (0 for none). Throws a RangeError when the arrays differ in length or an example has no answer.
 */
export function squadMetrics(
  predictions: readonly string[],
  answers: readonly (string | readonly string[])[],
): SquadScores {
  if (predictions.length !== answers.length)
    throw new RangeError(`${predictions.length} predictions but ${answers.length} answers`);
  let em = 0;
  let f1 = 0;
  predictions.forEach((p, i) => {
    const a = answers[i]!;
    const golds = typeof a === 'string' ? [a] : a;
    if (golds.length === 0) throw new RangeError(`example ${i} has no answer`);
    em += Math.max(...golds.map((g) => squadExactMatch(p, g)));
    f1 += Math.max(...golds.map((g) => squadF1(p, g)));
  });
  const n = predictions.length;
  return { exactMatch: ratio(em, n), f1: ratio(f1, n) };
}
