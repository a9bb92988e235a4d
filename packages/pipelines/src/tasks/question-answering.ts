// question-answering: the best span of a context that answers a question (BertForQuestionAnswering). A context
// longer than the model reads is cut into overlapping windows (doc_stride), and answers from every window
// compete on score, as transformers' QuestionAnsweringPipeline does.
import type { BertForQuestionAnswering } from '@tsformer/bert';
import { tensor } from '@tsformer/tensor';
import { maxTokens, type PipelineParts, runRead, softmax } from './common.ts';

export interface QuestionAnsweringOptions {
  /** how many answers (default 1; more returns an array) */
  top_k?: number;
  /** the longest answer in tokens (default 15) */
  max_answer_len?: number;
  /** the longest window (question + context + special tokens; default 384, at most the model's positions) */
  max_seq_len?: number;
  /** tokens shared by consecutive windows of a long context (default 128) */
  doc_stride?: number;
  /** the longest question in tokens (default 64; longer ones are cut with a warning) */
  max_question_len?: number;
  /** allow the empty answer (scored at the [CLS] token) */
  handle_impossible_answer?: boolean;
}

export interface QuestionAnsweringResult {
  answer: string;
  /** p(start) · p(end) within its window */
  score: number;
  /** character span of the answer in the context */
  start: number;
  end: number;
}

export async function answer(
  parts: PipelineParts,
  question: string,
  context: string,
  options: QuestionAnsweringOptions = {},
): Promise<QuestionAnsweringResult | QuestionAnsweringResult[]> {
  if (typeof question !== 'string' || typeof context !== 'string') {
    throw new TypeError('question-answering: expected (question, context) strings, or { question, context }');
  }
  const topK = options.top_k ?? 1;
  const maxAnswer = options.max_answer_len ?? 15;
  const model = parts.model as BertForQuestionAnswering;
  const tok = parts.tokenizer;
  const cls = tok.clsTokenId;
  const sep = tok.sepTokenId;
  const prefix = cls === undefined ? [] : [cls];
  const middle = sep === undefined ? [] : [sep];
  const suffix = sep === undefined ? [] : [sep];
  const specials = prefix.length + middle.length + suffix.length;
  const maxSeq = Math.min(options.max_seq_len ?? 384, maxTokens(parts));
  const qe = tok.encode(question);
  let q = qe.inputIds.filter((_, i) => qe.specialTokensMask[i] === 0);
  const qLimit = Math.min(options.max_question_len ?? 64, maxSeq - specials - 1);
  if (q.length > qLimit) {
    parts.warn(`question-answering: the question has ${q.length} tokens; only its first ${qLimit} are read`);
    q = q.slice(0, qLimit);
  }
  const ctx = tok.encode(context);
  const cIds: number[] = [];
  const cOffsets: [number, number][] = [];
  ctx.inputIds.forEach((id, i) => {
    if (ctx.specialTokensMask[i] === 1) return;
    cIds.push(id);
    cOffsets.push(ctx.offsets[i]!);
  });
  const room = maxSeq - q.length - specials;
  const stride = Math.min(options.doc_stride ?? 128, room - 1);
  const step = Math.max(1, room - Math.max(0, stride));
  const windows: number[] = [];
  for (let s = 0; ; s += step) {
    windows.push(s);
    if (s + room >= cIds.length) break;
  }
  const answers: QuestionAnsweringResult[] = [];
  let nullScore = Number.POSITIVE_INFINITY;
  for (const w of windows) {
    const span = cIds.slice(w, w + room);
    const ids = [...prefix, ...q, ...middle, ...span, ...suffix];
    const ctxStart = prefix.length + q.length + middle.length;
    const types = ids.map((_, i) => (i >= ctxStart ? 1 : 0));
    const t = ids.length;
    const [startLogits, endLogits] = await runRead(model, () => {
      const out = model.forward({
        inputIds: tensor(Int32Array.from(ids), [1, t]),
        tokenTypeIds: tensor(Int32Array.from(types), [1, t]),
        attentionMask: tensor(new Int32Array(t).fill(1), [1, t]),
      });
      return [out.startLogits, out.endLogits];
    });
    // only context tokens (and [CLS], for the empty answer) may be picked
    const allowed = (i: number): boolean =>
      (i >= ctxStart && i < ctxStart + span.length) || (cls !== undefined && i === 0);
    const mask = (l: Float32Array): Float32Array => l.map((x, i) => (allowed(i) ? x : -10000));
    const ps = softmax(mask(startLogits));
    const pe = softmax(mask(endLogits));
    if (cls !== undefined) {
      nullScore = Math.min(nullScore, ps[0]! * pe[0]!);
      ps[0] = 0;
      pe[0] = 0;
    }
    const cands: { s: number; e: number; score: number }[] = [];
    for (let s = ctxStart; s < ctxStart + span.length; s++) {
      for (let e = s; e < Math.min(ctxStart + span.length, s + maxAnswer); e++) {
        cands.push({ s, e, score: ps[s]! * pe[e]! });
      }
    }
    cands.sort((a, b) => b.score - a.score);
    for (const c of cands.slice(0, topK)) {
      const start = cOffsets[w + c.s - ctxStart]![0];
      const end = cOffsets[w + c.e - ctxStart]![1];
      answers.push({ answer: context.slice(start, end), score: c.score, start, end });
    }
  }
  if (options.handle_impossible_answer && Number.isFinite(nullScore)) {
    answers.push({ answer: '', score: nullScore, start: 0, end: 0 });
  }
  // the same span found in two windows counts once, with its best score
  const best = new Map<string, QuestionAnsweringResult>();
  for (const a of answers) {
    const key = `${a.start}:${a.end}`;
    const had = best.get(key);
    if (!had || had.score < a.score) best.set(key, a);
  }
  const sorted = [...best.values()].sort((a, b) => b.score - a.score).slice(0, topK);
  if (sorted.length === 0) return topK === 1 ? { answer: '', score: 0, start: 0, end: 0 } : [];
  return topK === 1 ? sorted[0]! : sorted;
}
