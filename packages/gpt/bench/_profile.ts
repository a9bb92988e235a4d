import { createCpuBackend, setBackend, tensor, tidy } from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';
import { GPT2Config, GPT2LMHeadModel } from '../src/index.ts';

const backend = createCpuBackend();
await backend.ready;
const times = new Map<string, [number, number]>();
const wrapped: Record<string, unknown> = {};
for (const key of Object.keys(backend)) {
  const f = (backend as unknown as Record<string, unknown>)[key];
  if (typeof f !== 'function' || key === 'free') {
    wrapped[key] = f;
    continue;
  }
  wrapped[key] = (...args: unknown[]) => {
    const t0 = performance.now();
    const r = (f as (...a: unknown[]) => unknown)(...args);
    const label = typeof args[0] === 'string' ? `${key}:${args[0]}` : key;
    const e = times.get(label) ?? [0, 0];
    e[0] += performance.now() - t0;
    e[1]++;
    times.set(label, e);
    return r;
  };
}
const fusedWrapped: Record<string, unknown> = {};
for (const [key, f] of Object.entries(backend.fused ?? {})) {
  fusedWrapped[key] = (...args: unknown[]) => {
    const t0 = performance.now();
    const r = (f as (...a: unknown[]) => unknown)(...args);
    const e = times.get(`fused:${key}`) ?? [0, 0];
    e[0] += performance.now() - t0;
    e[1]++;
    times.set(`fused:${key}`, e);
    return r;
  };
}
wrapped.fused = fusedWrapped;
setBackend(wrapped as never);
const cfg = { nLayer: 6, nEmbd: 384, nHead: 6, nPositions: 256, vocabSize: 4096 };
const batch = Number(process.env.B ?? 8);
const config = new GPT2Config({ ...cfg, residPdrop: 0.1, embdPdrop: 0.1, attnPdrop: 0.1 });
const model = new GPT2LMHeadModel(config, { seed: 0 });
const T = config.nPositions;
const ids = tensor(
  Int32Array.from({ length: batch * T }, (_, i) => (i * 7919 + 13) % config.vocabSize),
  [batch, T],
  { dtype: 'int32' },
);
const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
for (let s = 0; s < 3; s++) {
  if (s === 1) times.clear();
  const t0 = performance.now();
  let tf = 0,
    tb = 0,
    to = 0;
  tidy(() => {
    opt.zeroGrad();
    const a = performance.now();
    const loss = model.forward({ inputIds: ids, labels: ids }).loss!;
    tf = performance.now() - a;
    const b = performance.now();
    loss.backward();
    tb = performance.now() - b;
    const c = performance.now();
    opt.step();
    to = performance.now() - c;
    return loss.item();
  });
  const dt = performance.now() - t0;
  console.log(
    `step ${s}: ${dt.toFixed(0)} ms (fwd ${tf.toFixed(0)} bwd ${tb.toFixed(0)} opt ${to.toFixed(0)}) → ${((batch * T) / (dt / 1000)).toFixed(0)} tok/s`,
  );
}
const rows = [...times.entries()].sort((a, b) => b[1][0] - a[1][0]);
for (const [k, [t, n]] of rows.slice(0, 30))
  console.log(`${k.padEnd(24)} ${(t / 2).toFixed(1).padStart(8)} ms/step  ${(n / 2).toFixed(0)} calls`);
process.exit(0);
