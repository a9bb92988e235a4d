// The byte-level BPE merge engine: a table of merge ranks keyed by pairs of token ids, and the merge loop.
// Short words use a simple scan for the lowest-ranked pair; long ones (say a 1 MB "word" with no spaces) use a
// heap over a linked list, so a word of n bytes costs O(n log n), never O(n²).

/** GPT-2's reversible map from bytes to printable characters (`bytes_to_unicode` in OpenAI's encoder.py). */
export function byteToChar(): string[] {
  const out: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    out[b] = String.fromCharCode(printable ? b : 256 + n++);
  }
  return out;
}

/** Inverse of byteToChar: char code → byte, or -1. */
export function charToByte(): Int16Array {
  const map = new Int16Array(324).fill(-1);
  byteToChar().forEach((ch, b) => {
    map[ch.charCodeAt(0)] = b;
  });
  return map;
}

export const NO_RANK = 0x7fffffff;

/** Open-addressing hash map from a pair of ids to a merge rank. */
export class PairRanks {
  private readonly keyA: Int32Array;
  private readonly keyB: Int32Array;
  private readonly vals: Int32Array;
  private readonly mask: number;
  readonly size: number;

  constructor(a: Int32Array, b: Int32Array) {
    let cap = 16;
    while (cap < a.length * 2) cap *= 2;
    this.mask = cap - 1;
    this.keyA = new Int32Array(cap).fill(-1);
    this.keyB = new Int32Array(cap);
    this.vals = new Int32Array(cap);
    let size = 0;
    for (let r = 0; r < a.length; r++) {
      let h = Math.imul(a[r]! * 65599 + b[r]!, 0x9e3779b1) >>> 0;
      for (;;) {
        const slot = h & this.mask;
        const ka = this.keyA[slot]!;
        if (ka === -1) {
          this.keyA[slot] = a[r]!;
          this.keyB[slot] = b[r]!;
          this.vals[slot] = r;
          size++;
          break;
        }
        if (ka === a[r] && this.keyB[slot] === b[r]) break; // a repeated merge keeps its first (lowest) rank
        h++;
      }
    }
    this.size = size;
  }

  get(a: number, b: number): number {
    let h = Math.imul(a * 65599 + b, 0x9e3779b1) >>> 0;
    const keyA = this.keyA;
    for (;;) {
      const slot = h & this.mask;
      const ka = keyA[slot]!;
      if (ka === a && this.keyB[slot] === b) return this.vals[slot]!;
      if (ka === -1) return NO_RANK;
      h++;
    }
  }
}

const SMALL = 48;
const POS = 4294967296; // heap key = rank * 2^32 + position

/**
 * Merges `tok[0..n)` in place, always the lowest-ranked pair first and the leftmost among equals, as GPT-2's
 * `bpe()` and Hugging Face's BPE do. Returns the new length.
 */
export function mergeWord(tok: Int32Array, n: number, ranks: PairRanks, mergeIds: Int32Array): number {
  if (n < 2) return n;
  if (n > SMALL) return mergeLong(tok, n, ranks, mergeIds);
  const r = new Int32Array(n);
  for (let k = 0; k < n - 1; k++) r[k] = ranks.get(tok[k]!, tok[k + 1]!);
  for (;;) {
    let best = NO_RANK;
    let bi = -1;
    for (let k = 0; k < n - 1; k++) {
      if (r[k]! < best) {
        best = r[k]!;
        bi = k;
      }
    }
    if (bi < 0) return n;
    tok[bi] = mergeIds[best]!;
    for (let k = bi + 1; k < n - 1; k++) {
      tok[k] = tok[k + 1]!;
      r[k] = r[k + 1]!;
    }
    n--;
    if (n < 2) return n;
    if (bi > 0) r[bi - 1] = ranks.get(tok[bi - 1]!, tok[bi]!);
    if (bi < n - 1) r[bi] = ranks.get(tok[bi]!, tok[bi + 1]!);
  }
}

function mergeLong(tok: Int32Array, n: number, ranks: PairRanks, mergeIds: Int32Array): number {
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  let heap = new Float64Array(Math.max(16, n));
  let size = 0;
  const push = (key: number): void => {
    if (size === heap.length) {
      const h = new Float64Array(size * 2);
      h.set(heap);
      heap = h;
    }
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]! <= key) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = key;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap[--size]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && heap[c + 1]! < heap[c]!) c++;
      if (heap[c]! >= last) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
    return top;
  };
  for (let k = 0; k < n; k++) {
    next[k] = k + 1 < n ? k + 1 : -1;
    prev[k] = k - 1;
    if (k + 1 < n) {
      const rank = ranks.get(tok[k]!, tok[k + 1]!);
      if (rank !== NO_RANK) push(rank * POS + k);
    }
  }
  while (size > 0) {
    const key = pop();
    const rank = Math.floor(key / POS);
    const p = key - rank * POS;
    const q = next[p]!;
    if (tok[p] === -1 || q === -1 || ranks.get(tok[p]!, tok[q]!) !== rank) continue; // stale
    tok[p] = mergeIds[rank]!;
    tok[q] = -1;
    const after = next[q]!;
    next[p] = after;
    if (after !== -1) prev[after] = p;
    const before = prev[p]!;
    if (before !== -1) {
      const r = ranks.get(tok[before]!, tok[p]!);
      if (r !== NO_RANK) push(r * POS + before);
    }
    if (after !== -1) {
      const r = ranks.get(tok[p]!, tok[after]!);
      if (r !== NO_RANK) push(r * POS + p);
    }
  }
  let m = 0;
  for (let k = 0; k !== -1; k = next[k]!) tok[m++] = tok[k]!;
  return m;
}

/**
 * Writes the UTF-8 bytes of `s[start, end)` into `out` (a lone surrogate becomes U+FFFD's bytes, as
 * TextEncoder does) and returns how many.
 */
export function utf8Into(s: string, start: number, end: number, out: Int32Array): number {
  let n = 0;
  for (let k = start; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x80) out[n++] = c;
    else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = k + 1 < end ? s.charCodeAt(k + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        out[n++] = 0xf0 | (cp >> 18);
        out[n++] = 0x80 | ((cp >> 12) & 63);
        out[n++] = 0x80 | ((cp >> 6) & 63);
        out[n++] = 0x80 | (cp & 63);
        k++;
      } else {
        out[n++] = 0xef;
        out[n++] = 0xbf;
        out[n++] = 0xbd;
      }
    } else {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}

/**
 * Token string → id, looked up by a range of another string, so that parsing a merges file allocates no
 * substrings (a Map<string, number> would need a sliced, hashed string per lookup; this halves GPT-2's load).
 */
export class TokenIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;
  readonly tokens: readonly (string | undefined)[];

  constructor(tokens: readonly (string | undefined)[]) {
    this.tokens = tokens;
    let cap = 16;
    while (cap < tokens.length * 2) cap *= 2;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap).fill(-1);
  }

  /** Indexes `tokens[id]`; returns the id already holding the same string, or -1. */
  add(id: number): number {
    const t = this.tokens[id]!;
    let h = hashRange(t, 0, t.length, 0x811c9dc5);
    for (;;) {
      const slot = h & this.mask;
      const other = this.slots[slot]!;
      if (other === -1) {
        this.slots[slot] = id;
        return -1;
      }
      if (this.tokens[other] === t) return other;
      h++;
    }
  }

  /** Id of the token `s[start, end)`, or -1. */
  find(s: string, start: number, end: number): number {
    let h = hashRange(s, start, end, 0x811c9dc5);
    const len = end - start;
    for (;;) {
      const id = this.slots[h & this.mask]!;
      if (id === -1) return -1;
      const t = this.tokens[id]!;
      if (t.length === len && s.startsWith(t, start)) return id;
      h++;
    }
  }

  /** Id of the token `s[a0, a1) + s[b0, b1)`, or -1. */
  findJoined(s: string, a0: number, a1: number, b0: number, b1: number): number {
    let h = hashRange(s, b0, b1, hashRange(s, a0, a1, 0x811c9dc5));
    const la = a1 - a0;
    const len = la + b1 - b0;
    for (;;) {
      const id = this.slots[h & this.mask]!;
      if (id === -1) return -1;
      const t = this.tokens[id]!;
      if (t.length === len) {
        let k = 0;
        while (k < la && t.charCodeAt(k) === s.charCodeAt(a0 + k)) k++;
        while (k < len && k >= la && t.charCodeAt(k) === s.charCodeAt(b0 + k - la)) k++;
        if (k === len) return id;
      }
      h++;
    }
  }
}

function hashRange(s: string, start: number, end: number, h: number): number {
  for (let k = start; k < end; k++) h = Math.imul(h ^ s.charCodeAt(k), 16777619);
  return h >>> 0;
}
