"""PyTorch side of the BERT comparison in RESULTS.md (Debian's python3-torch; no transformers needed).

  python3 bench/pytorch_bert.py eval  <checkpoint folder> <pairs folder>   # MLM / NSP figures of a trainer checkpoint
  python3 bench/pytorch_bert.py train <pairs folder> [seconds] [layers width heads ffn batch lr warmup maxlen]

The model is BertForPreTraining as Hugging Face writes it (post-LN, word + position + token-type embeddings,
LayerNorm eps 1e-12, erf GELU, tanh pooler on [CLS], MLM transform dense → gelu → LayerNorm then the decoder tied
to the word embeddings plus a bias, NSP head on the pooler), with the same parameter names, so `eval` reads the
trainer's model.safetensors by name. The pairs folder comes from bench/export-pairs.ts: the training sentences by
document, and the trainer's 512 fixed validation pairs with their masks, which both commands evaluate on exactly
as the trainer does (batches of 64, MLM loss and accuracy over the masked tokens, NSP over the pairs).

`train` mirrors the trainer's BERT objective and optimiser (apps/trainer/src/train.ts, packages/pretraining-
objectives): fresh pairs per batch (A a uniform sentence that has a next one; B the next one, or with probability
0.5 a uniform sentence of a uniform other document), cut longest-first to maxlen − 3, padded to the longest row;
fresh masks per batch (round(15 %) of the non-special tokens of each row, at least one; 80 % [MASK], 10 % a random
non-special token, 10 % kept); loss = MLM CE over the masked positions (the head runs only there, as the
trainer's) + NSP CE; AdamW β 0.9/0.999, eps 1e-8, weight decay 0.01 on matrices only, linear warmup from 0 then
linear decay to 0, gradient norm clipped to 1. Like the trainer, the time budget becomes a step count from the
speed of steps 3 … 25, training time counts the training steps only (batch assembly and evaluation excluded), and
evaluations come every round(60 s / seconds per step) steps plus one at the end.

Run it with Debian's interpreter (/usr/bin/python3, where python3-torch lives) from apps/trainer.
Environment: THREADS (torch and OpenBLAS threads, default all cores), SEED (1337), DROPOUT (0.1), EVAL_INTERVAL (seconds, 60),
LOG (log.jsonl path, default runs/pytorch-bert/log.jsonl; records with the trainer's field names).
"""
import json, math, os, sys, time

if 'THREADS' in os.environ:  # Debian's OpenBLAS (pthreads) keeps its own pool unless told before it loads
    os.environ.setdefault('OPENBLAS_NUM_THREADS', os.environ['THREADS'])
    os.environ.setdefault('OMP_NUM_THREADS', os.environ['THREADS'])
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from pytorch_gpt import read_safetensors  # the same reader (this folder is on sys.path when run as a script)

IGNORE = -100


# ---- the model (Hugging Face's module and parameter names) ---------------------------------------------------

class Embeddings(nn.Module):
    def __init__(self, v, c, positions, types, pad, eps, p):
        super().__init__()
        self.word_embeddings = nn.Embedding(v, c, padding_idx=pad)
        self.position_embeddings = nn.Embedding(positions, c)
        self.token_type_embeddings = nn.Embedding(types, c)
        self.LayerNorm = nn.LayerNorm(c, eps=eps)
        self.dropout = nn.Dropout(p)

    def forward(self, ids, types):
        x = self.word_embeddings(ids) + self.token_type_embeddings(types) + self.position_embeddings(torch.arange(ids.shape[1]))[None]
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c, h, p):
        super().__init__()
        self.h = h
        self.query, self.key, self.value = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.dropout = nn.Dropout(p)

    def forward(self, x, mask):
        b, t, c = x.shape
        q, k, v = [z(x).view(b, t, self.h, c // self.h).transpose(1, 2) for z in (self.query, self.key, self.value)]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.h) + mask  # [B,H,T,T] + [B,1,1,T]
        att = self.dropout(F.softmax(att, dim=-1))
        return (att @ v).transpose(1, 2).reshape(b, t, c)


class Output(nn.Module):
    """LayerNorm(dropout(dense(x)) + residual): `attention.output` and `output`."""

    def __init__(self, i, c, eps, p):
        super().__init__()
        self.dense = nn.Linear(i, c)
        self.LayerNorm = nn.LayerNorm(c, eps=eps)
        self.dropout = nn.Dropout(p)

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c, h, eps, p):
        super().__init__()
        self.self = SelfAttention(c, h, p)
        self.output = Output(c, c, eps, p)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, c, i):
        super().__init__()
        self.dense = nn.Linear(c, i)

    def forward(self, x):
        return F.gelu(self.dense(x))  # erf GELU (HF 'gelu')


class Layer(nn.Module):
    def __init__(self, c, h, i, eps, p):
        super().__init__()
        self.attention = Attention(c, h, eps, p)
        self.intermediate = Intermediate(c, i)
        self.output = Output(i, c, eps, p)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c, layers, h, i, eps, p):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c, h, i, eps, p) for _ in range(layers)])


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c, c)

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class Bert(nn.Module):
    def __init__(self, v, c, layers, h, i, positions, types, pad, eps, p):
        super().__init__()
        self.embeddings = Embeddings(v, c, positions, types, pad, eps, p)
        self.encoder = Encoder(c, layers, h, i, eps, p)
        self.pooler = Pooler(c)

    def forward(self, ids, types, attention_mask):
        # HF's extended mask: 0 for tokens, the float32 minimum for padding keys
        mask = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.embeddings(ids, types)
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return x, self.pooler(x)


class Transform(nn.Module):
    def __init__(self, c, eps):
        super().__init__()
        self.dense = nn.Linear(c, c)
        self.LayerNorm = nn.LayerNorm(c, eps=eps)

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)))


class Predictions(nn.Module):
    def __init__(self, v, c, eps):
        super().__init__()
        self.transform = Transform(c, eps)
        self.bias = nn.Parameter(torch.zeros(v))


class Heads(nn.Module):
    def __init__(self, v, c, eps):
        super().__init__()
        self.predictions = Predictions(v, c, eps)
        self.seq_relationship = nn.Linear(c, 2)


class BertForPreTraining(nn.Module):
    def __init__(self, v, c, layers, h, i, positions=512, types=2, pad=0, eps=1e-12, p=0.1):
        super().__init__()
        self.bert = Bert(v, c, layers, h, i, positions, types, pad, eps, p)
        self.cls = Heads(v, c, eps)
        # HF's _init_weights: Linear / Embedding weights N(0, 0.02), the padding row 0, biases 0, LayerNorm 1 / 0
        for name, q in self.named_parameters():
            if name.endswith('LayerNorm.weight'):
                nn.init.ones_(q)
            elif name.endswith('bias'):
                nn.init.zeros_(q)
            else:
                nn.init.normal_(q, std=0.02)
        with torch.no_grad():
            self.bert.embeddings.word_embeddings.weight[pad].zero_()

    def forward(self, ids, types, attention_mask, labels):
        """MLM logits [M,V] of the M predicted positions (labels ≠ -100, row-major), their labels [M], NSP logits [B,2]."""
        hidden, pooled = self.bert(ids, types, attention_mask)
        sel = labels != IGNORE
        h = self.cls.predictions.transform(hidden[sel])  # the head only where it is scored
        mlm = h @ self.bert.embeddings.word_embeddings.weight.T + self.cls.predictions.bias  # tied decoder
        return mlm, labels[sel], self.cls.seq_relationship(pooled)


# ---- data ---------------------------------------------------------------------------------------------------

def load_pairs(folder):
    meta = json.load(open(os.path.join(folder, 'meta.json')))
    i32 = lambda name: np.fromfile(os.path.join(folder, name), dtype='<i4')
    n, t = meta['pairs'], meta['seqLength']
    val = {k: torch.from_numpy(i32(f'val_{k}.bin').astype(np.int64).reshape(n, t))
           for k in ('input_ids', 'token_type_ids', 'attention_mask', 'labels')}
    val['next_sentence_label'] = torch.from_numpy(i32('val_next_sentence_label.bin').astype(np.int64))
    train = {'ids': i32('train_ids.bin'), 'sentences': i32('train_sentences.bin'), 'documents': i32('train_documents.bin')}
    return train, val, meta


class PairSampler:
    """sampleNspPairs + bertPretrainingBatch (no whole-word masking), drawn from a numpy generator."""

    def __init__(self, train, meta, maxlen, rng):
        self.ids, self.sent, self.docs = train['ids'].tolist(), train['sentences'].tolist(), train['documents'].tolist()
        self.rng, self.maxlen = rng, maxlen
        self.p = meta['mlmProb']
        self.cls, self.sep, self.pad, self.mask = meta['cls'], meta['sep'], meta['pad'], meta['mask']
        self.special = {meta['cls'], meta['sep'], meta['pad'], meta['unk'], meta['mask']}
        self.ordinary = np.array([i for i in range(meta['vocabSize']) if i not in self.special])
        # (document, sentence) of every sentence that has a next one in its document
        self.pairs = [(d, s) for d in range(len(self.docs) - 1) for s in range(self.docs[d], self.docs[d + 1] - 1)]
        self.doc_len = np.diff(self.docs).tolist()

    def sentence(self, s):
        return self.ids[self.sent[s]:self.sent[s + 1]]

    def other_sentence(self, not_doc):
        n = len(self.doc_len)
        d = int(self.rng.integers(n))
        tries = 0
        while (d == not_doc or self.doc_len[d] == 0) and tries < 100:
            d, tries = int(self.rng.integers(n)), tries + 1
        if d == not_doc or self.doc_len[d] == 0:
            d = next(i for i in range(n) if i != not_doc and self.doc_len[i] > 0)
        return self.sentence(int(self.docs[d] + self.rng.integers(self.doc_len[d])))

    def batch(self, b):
        rows, types, nsp = [], [], []
        for _ in range(b):
            d, s = self.pairs[int(self.rng.integers(len(self.pairs)))]
            a = self.sentence(s)
            if self.rng.random() >= 0.5:
                bb, label = self.sentence(s + 1), 0
            else:
                bb, label = self.other_sentence(d), 1
            na, nb = len(a), len(bb)  # truncatePair: longest first, ties from B
            while na + nb > self.maxlen - 3:
                if na > nb:
                    na -= 1
                else:
                    nb -= 1
            rows.append([self.cls] + a[:na] + [self.sep] + bb[:nb] + [self.sep])
            types.append(na + 2)
            nsp.append(label)
        t = max(len(r) for r in rows)
        ids = np.full((b, t), self.pad, dtype=np.int64)
        tt = np.zeros((b, t), dtype=np.int64)
        att = np.zeros((b, t), dtype=np.int64)
        labels = np.full((b, t), IGNORE, dtype=np.int64)
        for r, row in enumerate(rows):
            n = len(row)
            ids[r, :n] = row
            att[r, :n] = 1
            tt[r, types[r]:n] = 1
            # mlmMask: round(p · candidates) positions (at least one), 80 % [MASK], 10 % random ordinary, 10 % kept
            cand = [j for j, x in enumerate(row) if x not in self.special]
            if not cand:
                continue
            k = max(1, math.floor(len(cand) * self.p + 0.5))
            chosen = self.rng.choice(np.array(cand), size=k, replace=False)
            labels[r, chosen] = ids[r, chosen]
            u = self.rng.random(k)
            ids[r, chosen[u < 0.8]] = self.mask
            rnd = chosen[(u >= 0.8) & (u < 0.9)]
            ids[r, rnd] = self.rng.choice(self.ordinary, size=len(rnd))
        return [torch.from_numpy(x) for x in (ids, tt, att, labels)] + [torch.tensor(nsp)]


# ---- evaluation as the trainer's ------------------------------------------------------------------------------

@torch.no_grad()
def evaluate(model, val, chunk=64):
    model.eval()
    mlm_nats = nsp_nats = 0.0
    masked = mlm_ok = nsp_ok = pairs = 0
    n = val['input_ids'].shape[0]
    for s in range(0, n, chunk):
        t = int(val['attention_mask'][s:s + chunk].sum(1).max())  # the trainer pads each batch to its longest row
        x = {k: v[s:s + chunk, :t] for k, v in val.items() if k != 'next_sentence_label'}
        y = val['next_sentence_label'][s:s + chunk]
        mlm, lab, nsp = model(x['input_ids'], x['token_type_ids'], x['attention_mask'], x['labels'])
        mlm_nats += F.cross_entropy(mlm, lab, reduction='sum').item()
        nsp_nats += F.cross_entropy(nsp, y, reduction='sum').item()
        mlm_ok += int((mlm.argmax(-1) == lab).sum())
        nsp_ok += int((nsp.argmax(-1) == y).sum())
        masked += lab.numel()
        pairs += y.numel()
    model.train()
    mlm, nsp = mlm_nats / masked, nsp_nats / pairs
    return {'valLoss': mlm + nsp, 'mlmLoss': mlm, 'perplexity': math.exp(mlm), 'mlmAccuracy': mlm_ok / masked,
            'nspLoss': nsp, 'nspAccuracy': nsp_ok / pairs, 'maskedTokens': masked, 'pairs': pairs}


def main():
    torch.set_num_threads(int(os.environ.get('THREADS', str(os.cpu_count() or 1))))
    if len(sys.argv) < 3 or sys.argv[1] not in ('eval', 'train'):
        sys.exit(__doc__)
    if sys.argv[1] == 'eval':
        ckpt, folder = sys.argv[2], sys.argv[3]
        cfg = json.load(open(os.path.join(ckpt, 'config.json')))
        assert cfg.get('hidden_act', 'gelu') == 'gelu', cfg.get('hidden_act')
        _, val, meta = load_pairs(folder)
        assert meta['vocabSize'] == cfg['vocab_size'], (meta['vocabSize'], cfg['vocab_size'])
        model = BertForPreTraining(cfg['vocab_size'], cfg['hidden_size'], cfg['num_hidden_layers'], cfg['num_attention_heads'],
                                   cfg['intermediate_size'], cfg['max_position_embeddings'], cfg.get('type_vocab_size', 2),
                                   cfg.get('pad_token_id', 0), cfg.get('layer_norm_eps', 1e-12))
        model.load_state_dict(read_safetensors(os.path.join(ckpt, 'model.safetensors')))
        t0 = time.time()
        m = evaluate(model, val)
        print(json.dumps({'checkpoint': ckpt, **m, 'evalSeconds': round(time.time() - t0, 2)}))
        return

    folder = sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 600
    layers, width, heads, ffn, b = [int(x) for x in (sys.argv[4:9] or [2, 128, 2, 512, 32])]
    lr = float(sys.argv[9]) if len(sys.argv) > 9 else 1e-3
    warmup = int(sys.argv[10]) if len(sys.argv) > 10 else 200
    maxlen = int(sys.argv[11]) if len(sys.argv) > 11 else 128
    seed = int(os.environ.get('SEED', '1337'))
    p = float(os.environ.get('DROPOUT', '0.1'))
    eval_interval = float(os.environ.get('EVAL_INTERVAL', '60'))
    log_path = os.environ.get('LOG', 'runs/pytorch-bert/log.jsonl')
    train, val, meta = load_pairs(folder)
    if meta.get('wholeWordMask'):
        print('note: the exported run used whole-word masking; this script masks single tokens', file=sys.stderr)
    torch.manual_seed(seed)
    model = BertForPreTraining(meta['vocabSize'], width, layers, heads, ffn, max(maxlen, 128), 2, meta['pad'], 1e-12, p)
    sampler = PairSampler(train, meta, maxlen, np.random.default_rng(seed + 1_000_003))
    # weight decay on matrices only (the trainer's grouping: biases, LayerNorms and the MLM bias get none)
    decay = [q for q in model.parameters() if q.dim() >= 2]
    rest = [q for q in model.parameters() if q.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': rest, 'weight_decay': 0.0}],
                            lr=lr, betas=(0.9, 0.999), eps=1e-8)
    os.makedirs(os.path.dirname(log_path) or '.', exist_ok=True)
    logf = open(log_path, 'w')

    def log(rec):
        logf.write(json.dumps(rec, separators=(',', ':')) + '\n')
        logf.flush()

    params = sum(q.numel() for q in model.parameters())
    log({'type': 'start', 'step': 0, 'framework': f'pytorch {torch.__version__}', 'threads': torch.get_num_threads(),
         'config': {'model': 'bert', 'vocabSize': meta['vocabSize'], 'nLayer': layers, 'nEmbd': width, 'nHead': heads,
                    'nInner': ffn, 'context': maxlen, 'dropout': p, 'batchSize': b, 'lr': lr, 'minLr': 0, 'warmup': warmup,
                    'decay': 'linear', 'weightDecay': 0.01, 'beta1': 0.9, 'beta2': 0.999, 'clip': 1, 'maxTime': seconds,
                    'evalInterval': f'{eval_interval:g}s', 'evalPairs': meta['pairs'], 'mlmProb': meta['mlmProb'],
                    'seed': seed, 'threads': torch.get_num_threads()},
         'parameters': params, 'vocabSize': meta['vocabSize']})
    print(f'BERT {layers}×{width}, {heads} heads, FFN {ffn}, vocabulary {meta["vocabSize"]}: {params / 1e6:.2f}M parameters, '
          f'batch {b}, lr {lr}, warmup {warmup}, length ≤ {maxlen}, {seconds:g} s, {torch.get_num_threads()} threads', flush=True)

    def schedule(step, total):  # linearWithWarmup, minLr 0
        if step < warmup:
            return lr * step / max(1, warmup)
        return lr * (1 - min(1, (step - warmup) / max(1, total - warmup)))

    def do_eval(step, spent, full):
        t0 = time.time()
        m = evaluate(model, val)
        log({'type': 'eval', 'step': step, 'trainTime': spent, 'full': full, **m, 'evalSeconds': time.time() - t0})
        print(json.dumps({'trainTime': round(spent, 1), 'step': step, 'mlmAccuracy': round(m['mlmAccuracy'], 4),
                          'mlmLoss': round(m['mlmLoss'], 4), 'nspAccuracy': round(m['nspAccuracy'], 4),
                          'nspLoss': round(m['nspLoss'], 4), 'sequencesPerSec': round(step * b / spent, 1),
                          **({'final': True} if full else {})}), flush=True)
        return m

    # the trainer's budget rule: seconds per step from steps 3 … measure_at, then a fixed step count
    measure_from, measure_at = 3, max(8, min(warmup, 25))
    provisional = max(warmup * 10, 1000)
    step, spent, total, sec_per_step, eval_every, measure_start, batch_time = 0, 0.0, None, None, None, None, 0.0
    while total is None or step < total:
        t_batch = time.time()
        ids, tt, att, labels, nsp_labels = sampler.batch(b)
        lr_now = schedule(step, total or provisional)
        for g in opt.param_groups:
            g['lr'] = lr_now
        t0 = time.time()
        batch_time += t0 - t_batch
        mlm, lab, nsp = model(ids, tt, att, labels)
        mlm_loss, nsp_loss = F.cross_entropy(mlm, lab), F.cross_entropy(nsp, nsp_labels)
        loss = mlm_loss + nsp_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        dt = time.time() - t0
        spent += dt
        step += 1
        log({'type': 'train', 'step': step, 'loss': loss.item(), 'mlmLoss': mlm_loss.item(), 'nspLoss': nsp_loss.item(),
             'lr': lr_now, 'gradNorm': float(gn), 'trainTime': spent, 'stepSeconds': dt})
        if step == measure_from:
            measure_start = spent
        if sec_per_step is None and step == measure_at and measure_start is not None:
            sec_per_step = (spent - measure_start) / (measure_at - measure_from)
            eval_every = max(1, round(eval_interval / sec_per_step))
        if total is None:
            if spent >= seconds:
                total = step
            elif sec_per_step is not None:
                total = step + max(0, math.floor((seconds - spent) / sec_per_step))
            if total is not None:
                log({'type': 'budget', 'step': step, 'totalSteps': total, 'secPerStep': sec_per_step, 'maxTime': seconds})
                print(f'{total} steps ({sec_per_step:.4f} s a step)', flush=True)
        done = total is not None and step >= total
        if not done and eval_every is not None and step % eval_every == 0:
            do_eval(step, spent, False)
    m = do_eval(step, spent, True)
    log({'type': 'end', 'step': step, 'trainTime': spent, **m, 'batchSeconds': batch_time})
    print(f'done: {step} steps, {step * b} sequences in {spent:.1f} s of training ({step * b / spent:.1f} sequences/s; '
          f'batch assembly {batch_time:.1f} s more)', flush=True)


if __name__ == '__main__':
    main()
