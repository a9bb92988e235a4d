"""PyTorch side of the comparison in RESULTS.md (Debian's python3-torch 1.13; no transformers needed).

  python3 bench/pytorch_gpt.py eval  <checkpoint folder> <tokens folder>   # bits/char of a trainer checkpoint
  python3 bench/pytorch_gpt.py train <tokens folder> [seconds] [layers width heads context batch lr dropout warmup]

The model is GPT-2 as Hugging Face writes it (Conv1D weights [in, out], gelu_new, tied lm_head), so `eval` reads
the trainer's model.safetensors by name, and bits/char is computed exactly as the trainer does (consecutive
non-overlapping windows, every token but the first predicted once, ÷ characters ÷ ln 2). The tokens folder comes
from bench/export-tokens.ts.
"""
import json, math, os, struct, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        a, b = info['data_offsets']
        assert info['dtype'] == 'F32', info['dtype']
        arr = np.frombuffer(data[8 + n + a:8 + n + b], dtype='<f4').reshape(info['shape'])
        out[name] = torch.from_numpy(arr.copy())
    return out


class Block(nn.Module):
    def __init__(self, c, h, inner, p):
        super().__init__()
        self.h, self.p = h, p
        self.ln_1, self.ln_2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.c_attn_w = nn.Parameter(torch.randn(c, 3 * c) * 0.02)
        self.c_attn_b = nn.Parameter(torch.zeros(3 * c))
        self.c_proj_w = nn.Parameter(torch.randn(c, c) * 0.02)
        self.c_proj_b = nn.Parameter(torch.zeros(c))
        self.c_fc_w = nn.Parameter(torch.randn(c, inner) * 0.02)
        self.c_fc_b = nn.Parameter(torch.zeros(inner))
        self.mlp_proj_w = nn.Parameter(torch.randn(inner, c) * 0.02)
        self.mlp_proj_b = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = (self.ln_1(x) @ self.c_attn_w + self.c_attn_b).split(c, dim=2)
        q, k, v = [z.view(b, t, self.h, c // self.h).transpose(1, 2) for z in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.h)
        att = att.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float('-inf'))
        att = F.dropout(F.softmax(att, dim=-1), self.p, self.training)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + F.dropout(y @ self.c_proj_w + self.c_proj_b, self.p, self.training)
        m = F.gelu(self.ln_2(x) @ self.c_fc_w + self.c_fc_b, approximate='tanh')
        return x + F.dropout(m @ self.mlp_proj_w + self.mlp_proj_b, self.p, self.training)


class GPT(nn.Module):
    def __init__(self, v, t, c, layers, h, inner=None, p=0.0):
        super().__init__()
        self.wte = nn.Embedding(v, c)
        self.wpe = nn.Embedding(t, c)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.02)
        self.h = nn.ModuleList([Block(c, h, inner or 4 * c, p) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(c)
        self.p = p

    def forward(self, idx):
        t = idx.shape[1]
        x = F.dropout(self.wte(idx) + self.wpe(torch.arange(t)), self.p, self.training)
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.T

    def load_hf(self, sd):
        names = {'c_attn_w': 'attn.c_attn.weight', 'c_attn_b': 'attn.c_attn.bias', 'c_proj_w': 'attn.c_proj.weight',
                 'c_proj_b': 'attn.c_proj.bias', 'c_fc_w': 'mlp.c_fc.weight', 'c_fc_b': 'mlp.c_fc.bias',
                 'mlp_proj_w': 'mlp.c_proj.weight', 'mlp_proj_b': 'mlp.c_proj.bias'}
        with torch.no_grad():
            self.wte.weight.copy_(sd['transformer.wte.weight'])
            self.wpe.weight.copy_(sd['transformer.wpe.weight'])
            self.ln_f.weight.copy_(sd['transformer.ln_f.weight'])
            self.ln_f.bias.copy_(sd['transformer.ln_f.bias'])
            for i, block in enumerate(self.h):
                pre = f'transformer.h.{i}.'
                for attr, key in names.items():
                    getattr(block, attr).copy_(sd[pre + key])
                for ln in ('ln_1', 'ln_2'):
                    getattr(block, ln).weight.copy_(sd[pre + ln + '.weight'])
                    getattr(block, ln).bias.copy_(sd[pre + ln + '.bias'])


def load_tokens(folder):
    tr = np.fromfile(os.path.join(folder, 'train.bin'), dtype='<i4')
    va = np.fromfile(os.path.join(folder, 'val.bin'), dtype='<i4')
    ends = np.fromfile(os.path.join(folder, 'val_ends.bin'), dtype='<i4')
    meta = json.load(open(os.path.join(folder, 'meta.json')))
    return torch.from_numpy(tr.astype(np.int64)), torch.from_numpy(va.astype(np.int64)), ends, meta


@torch.no_grad()
def bits_per_char(model, val, ends, t):
    model.eval()
    nats, count = 0.0, 0
    for s in range(0, len(val) - 1, t):
        n = min(t, len(val) - 1 - s)
        x, y = val[s:s + n][None], val[s + 1:s + n + 1]
        nats += F.cross_entropy(model(x)[0], y, reduction='sum').item()
        count += n
    model.train()
    chars = int(ends[count]) - int(ends[0])
    return nats / chars / math.log(2), nats / count


def main():
    torch.set_num_threads(int(os.environ.get('THREADS', '2')))
    if sys.argv[1] == 'eval':
        ckpt, folder = sys.argv[2], sys.argv[3]
        cfg = json.load(open(os.path.join(ckpt, 'config.json')))
        _, val, ends, _ = load_tokens(folder)
        model = GPT(cfg['vocab_size'], cfg['n_positions'], cfg['n_embd'], cfg['n_layer'], cfg['n_head'], cfg.get('n_inner'))
        model.load_hf(read_safetensors(os.path.join(ckpt, 'model.safetensors')))
        bpc, loss = bits_per_char(model, val, ends, cfg['n_positions'])
        print(json.dumps({'checkpoint': ckpt, 'bitsPerChar': bpc, 'valLoss': loss}))
        return
    folder = sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 600
    layers, width, heads, t, b = [int(x) for x in (sys.argv[4:9] or [4, 128, 4, 128, 12])]
    lr = float(sys.argv[9]) if len(sys.argv) > 9 else 2e-3
    p = float(sys.argv[10]) if len(sys.argv) > 10 else 0.0
    warmup = int(sys.argv[11]) if len(sys.argv) > 11 else 40
    train, val, ends, meta = load_tokens(folder)
    torch.manual_seed(1337)
    model = GPT(meta['vocabSize'], t, width, layers, heads, None, p)
    decay = [q for q in model.parameters() if q.dim() >= 2]
    rest = [q for q in model.parameters() if q.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': rest, 'weight_decay': 0.0}], lr=lr, betas=(0.9, 0.99))
    # measure the speed, then fix the step count for the budget (as the trainer does)
    step, spent, total = 0, 0.0, None
    marks = [30, 120, 300, 600, 1e9]
    while total is None or step < total:
        t0 = time.time()
        lr_now = lr * step / warmup if step < warmup else (1e-4 + 0.5 * (lr - 1e-4) * (1 + math.cos(math.pi * min(1, (step - warmup) / max(1, (total or 10**6) - warmup)))))
        for g in opt.param_groups:
            g['lr'] = lr_now
        ix = torch.randint(len(train) - t, (b,))
        x = torch.stack([train[i:i + t] for i in ix])
        y = torch.stack([train[i + 1:i + t + 1] for i in ix])
        loss = F.cross_entropy(model(x).view(-1, meta['vocabSize']), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        spent += time.time() - t0
        step += 1
        if total is None and step == 25:
            total = step + int((seconds - spent) / (spent / step))
        while spent >= marks[0] and marks[0] <= seconds:
            bpc, vl = bits_per_char(model, val, ends, t)
            print(json.dumps({'trainTime': round(spent, 1), 'step': step, 'bitsPerChar': round(bpc, 4), 'valLoss': round(vl, 4), 'tokensPerSec': round(step * b * t / spent)}), flush=True)
            marks.pop(0)
    bpc, vl = bits_per_char(model, val, ends, t)
    print(json.dumps({'final': True, 'trainTime': round(spent, 1), 'step': step, 'bitsPerChar': round(bpc, 4), 'valLoss': round(vl, 4), 'tokensPerSec': round(step * b * t / spent)}), flush=True)


if __name__ == '__main__':
    main()
