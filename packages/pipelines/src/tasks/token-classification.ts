// token-classification (NER): a label per token, or per word (from its first, average or best piece), and
// entities grouped from B-/I- tags with character offsets into the input (BertForTokenClassification).
import type { BertForTokenClassification } from '@tsformer/bert';
import {
  describe,
  encodeInput,
  inputTensors,
  labelOf,
  type PipelineParts,
  runRead,
  softmax,
} from './common.ts';

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';

export interface TokenClassificationOptions {
  /** labels left out of the result (default ['O']) */
  ignore_labels?: readonly string[];
  /**
   * 'none' (default): one result per token. 'simple': tokens grouped into entities by their B-/I- tags.
   * 'first' / 'average' / 'max': each word takes the label of its first piece / of the averaged scores / of its
   * most confident piece, then words are grouped into entities (transformers' aggregation strategies).
   */
  aggregation_strategy?: AggregationStrategy;
}

/** A token and its label (aggregation 'none'). */
export interface TokenClassificationResult {
  entity: string;
  score: number;
  /** the token's position in the model input (special tokens counted) */
  index: number;
  /** the token as in the vocabulary (`##ing` for a continuation) */
  word: string;
  /** character span of the token in the input text */
  start: number;
  end: number;
}

/** An entity: consecutive tokens or words with one label (the other strategies). */
export interface TokenClassificationGroup {
  entity_group: string;
  /** the mean score of its tokens (words) */
  score: number;
  /** the text of the entity, from the input */
  word: string;
  start: number;
  end: number;
}

interface PreEntity {
  index: number;
  token: string;
  scores: Float64Array;
  start: number;
  end: number;
  subword: boolean;
}

interface Entity {
  entity: string;
  score: number;
  start: number;
  end: number;
  index?: number;
  word?: string;
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

function tagOf(label: string): [string, string] {
  if (label.startsWith('B-')) return ['B', label.slice(2)];
  if (label.startsWith('I-')) return ['I', label.slice(2)];
  return ['I', label];
}

/** transformers' group_entities: a run of the same tag that no B- starts anew becomes one entity. */
function group(entities: readonly Entity[], text: string): TokenClassificationGroup[] {
  const groups: TokenClassificationGroup[] = [];
  let current: Entity[] = [];
  const close = (): void => {
    if (current.length === 0) return;
    const first = current[0]!;
    const last = current[current.length - 1]!;
    groups.push({
      entity_group: tagOf(first.entity)[1],
      score: current.reduce((s, e) => s + e.score, 0) / current.length,
      word: text.slice(first.start, last.end),
      start: first.start,
      end: last.end,
    });
    current = [];
  };
  for (const e of entities) {
    if (current.length === 0) {
      current.push(e);
      continue;
    }
    const [bi, tag] = tagOf(e.entity);
    const [, lastTag] = tagOf(current[current.length - 1]!.entity);
    if (tag === lastTag && bi !== 'B') current.push(e);
    else {
      close();
      current.push(e);
    }
  }
  close();
  return groups;
}

export async function classifyTokens(
  parts: PipelineParts,
  text: string,
  options: TokenClassificationOptions = {},
): Promise<TokenClassificationResult[] | TokenClassificationGroup[]> {
  if (typeof text !== 'string')
    throw new TypeError(`token-classification: expected a string, got ${describe(text)}`);
  const strategy = options.aggregation_strategy ?? 'none';
  if (!['none', 'simple', 'first', 'average', 'max'].includes(strategy)) {
    throw new RangeError(`token-classification: unknown aggregation_strategy ${JSON.stringify(strategy)}`);
  }
  const ignore = new Set(options.ignore_labels ?? ['O']);
  const model = parts.model as BertForTokenClassification;
  const tok = parts.tokenizer;
  const enc = encodeInput(parts, text);
  const [logits] = await runRead(model, () => [model.forward(inputTensors(enc)).logits]); // [1,T,L]
  const l = logits.length / enc.inputIds.length;
  const pre: PreEntity[] = [];
  for (let i = 0; i < enc.inputIds.length; i++) {
    if (enc.specialTokensMask[i] === 1) continue;
    const [start, end] = enc.offsets[i]!;
    pre.push({
      index: i,
      token: tok.tokenString(enc.inputIds[i]!),
      scores: softmax(logits.subarray(i * l, (i + 1) * l)),
      start,
      end,
      subword: tok.continuesWord(enc, i, text),
    });
  }
  if (strategy === 'none' || strategy === 'simple') {
    const entities = pre.map((p) => {
      const k = argmax(p.scores);
      return {
        entity: labelOf(parts, k),
        score: p.scores[k]!,
        index: p.index,
        word: p.token,
        start: p.start,
        end: p.end,
      };
    });
    if (strategy === 'none') return entities.filter((e) => !ignore.has(e.entity));
    return group(entities, text).filter((g) => !ignore.has(g.entity_group));
  }
  // words: a piece that continues a word joins it
  const words: PreEntity[][] = [];
  for (const p of pre) {
    if (p.subword && words.length > 0) words[words.length - 1]!.push(p);
    else words.push([p]);
  }
  const entities: Entity[] = words.map((w) => {
    let scores: Float64Array;
    if (strategy === 'first') scores = w[0]!.scores;
    else if (strategy === 'max') {
      scores = w.reduce((best, p) => (Math.max(...p.scores) > Math.max(...best.scores) ? p : best)).scores;
    } else {
      scores = new Float64Array(w[0]!.scores.length);
      for (const p of w) for (let k = 0; k < scores.length; k++) scores[k]! += p.scores[k]! / w.length;
    }
    const k = argmax(scores);
    return { entity: labelOf(parts, k), score: scores[k]!, start: w[0]!.start, end: w[w.length - 1]!.end };
  });
  return group(entities, text).filter((g) => !ignore.has(g.entity_group));
}
