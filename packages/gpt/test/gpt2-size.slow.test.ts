import { describe, expect, it } from 'vitest';
import { countParameters, GPT2Config, GPT2LMHeadModel, generate, gpt2Presets } from '../src/index.ts';

// Allocates the real 124M-parameter gpt2 (about 0.5 GB of float32): run with `pnpm test:slow`.
describe('gpt2 at full size', () => {
  it('has 124,439,808 parameters, counted from the instantiated model', async () => {
    const config = new GPT2Config(gpt2Presets.gpt2);
    const model = new GPT2LMHeadModel(config, { seed: 0 });
    expect(model.numParameters()).toBe(124_439_808);
    expect(countParameters(config)).toBe(124_439_808);
    expect(Object.keys(model.stateDict())).toHaveLength(4 + 12 * 12);
    const r = await generate(model, [464, 2068, 7586], { maxNewTokens: 3 });
    expect(r.newTokens[0]).toHaveLength(3);
  }, 300_000);
});
