// GPT: generation from a prompt with temperature, top-k, top-p and max tokens; tokens appear as they are made,
// with tokens/s; Stop aborts between two tokens (the pipeline's AbortSignal).
import type { Call } from '../client.ts';
import type { WorkerEvent } from '../protocol.ts';
import { type PanelContext, showError } from './context.ts';
import { field, fmt, h, num, numberInput } from './dom.ts';

export function createGptPanel(root: HTMLElement, ctx: PanelContext): void {
  const prompt = h('textarea', { id: 'gen-prompt', rows: 2 });
  prompt.value = 'Call me Ishmael. Some years ago';
  const temperature = numberInput('gen-temperature', 0.8, 0, 2, 0.05);
  const topK = numberInput('gen-top-k', 40, 0, 1000, 1);
  const topP = numberInput('gen-top-p', 0.95, 0, 1, 0.01);
  const maxTokens = numberInput('gen-max', 60, 1, 127, 1);
  const seed = numberInput('gen-seed', 1, 0, 1e9, 1);
  const greedy = h('input', { id: 'gen-greedy', type: 'checkbox' });
  const go = h('button', { id: 'gen-run', type: 'submit' }, 'Generate');
  const stop = h('button', { id: 'gen-stop', type: 'button', disabled: true }, 'Stop');
  const shown = h('span', { class: 'prompt' });
  const made = h('span', { class: 'generated', 'data-testid': 'gen-text' });
  const output = h('p', { class: 'output', 'aria-live': 'polite' }, shown, made);
  const stats = h('p', { class: 'stats', 'data-testid': 'gen-stats' });
  let call: Call<unknown> | null = null;

  const run = async (): Promise<void> => {
    if (call) return;
    root.dataset.state = 'running';
    go.disabled = true;
    stop.disabled = false;
    shown.textContent = prompt.value;
    made.textContent = '';
    stats.textContent = 'loading…';
    try {
      await ctx.gptReady;
      stats.textContent = 'generating…';
      call = ctx.worker.call(
        {
          type: 'generate',
          prompt: prompt.value,
          maxNewTokens: num(maxTokens),
          temperature: num(temperature),
          topK: num(topK),
          topP: num(topP),
          greedy: greedy.checked,
          seed: num(seed),
        },
        (e: WorkerEvent) => {
          if (e.type !== 'token') return;
          made.textContent += e.text;
          stats.textContent = `${e.tokens} tokens · ${fmt(e.tokensPerSecond)} tokens/s · first token after ${fmt(e.firstTokenMs, 0)} ms`;
        },
      );
      const r = (await call.result) as {
        tokens: number;
        tokensPerSecond: number;
        firstTokenMs: number;
        finish: string;
      };
      stats.textContent = `${r.tokens} tokens · ${fmt(r.tokensPerSecond)} tokens/s · first token after ${fmt(r.firstTokenMs, 0)} ms · ended: ${r.finish}`;
      root.dataset.finish = r.finish;
    } catch (e) {
      showError(stats, e);
    } finally {
      call = null;
      go.disabled = false;
      stop.disabled = true;
      root.dataset.state = 'done';
    }
  };

  stop.addEventListener('click', () => call?.cancel());
  greedy.addEventListener('change', () => {
    for (const i of [temperature, topK, topP]) i.disabled = greedy.checked;
  });
  root.append(
    h('p', { class: 'lead' }, 'GPT reads only to the left and predicts the next token, one at a time.'),
    h(
      'form',
      {
        class: 'card',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void run();
        },
      },
      field('Prompt', prompt),
      h(
        'div',
        { class: 'row' },
        field('Temperature', temperature),
        field('Top-k', topK, '0 = all'),
        field('Top-p', topP),
        field('Max tokens', maxTokens),
        field('Seed', seed),
        h('label', { class: 'check' }, greedy, ' greedy (most likely token)'),
      ),
      h('div', { class: 'row' }, go, stop),
      output,
      stats,
    ),
  );
}
