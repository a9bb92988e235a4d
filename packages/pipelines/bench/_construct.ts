import { GPT2Config, GPT2LMHeadModel, gpt2Presets } from '@tsformer/gpt';
import { getBackend, zeros } from '@tsformer/tensor';
zeros([1]);
const b2: any = getBackend();
const orig = { random: b2.random, binary: b2.binary, fill: b2.fill };
b2.random = (_k: string, _s: number, _o: number, size: number) => new Float32Array(size);
b2.binary = (op: string, a: any, bb: any, shape: number[], dt: string) => new Float32Array(shape.reduce((p,d)=>p*d,1));
for (let i = 0; i < 3; i++) {
const t0 = performance.now();
const m2 = new GPT2LMHeadModel(new GPT2Config({ ...gpt2Presets.gpt2 }), { init: false });
console.log('construct ms (patched)', performance.now() - t0, process.memoryUsage().rss / 2**20);
}
b2.fill = (dt: string, size: number, v: number) => { const a = new Float32Array(size); if (v) a.fill(v); return a; };
const t0 = performance.now();
new GPT2LMHeadModel(new GPT2Config({ ...gpt2Presets.gpt2 }), { init: false });
console.log('construct ms (fill patched)', performance.now() - t0, process.memoryUsage().rss / 2**20);
