// Train here: a tiny character-level GPT trained in the worker on pasted text (or a Moby-Dick excerpt), with a
// live loss chart, tokens/s, and samples that get better as it learns. Stop ends it after the current step.
import type { Call } from '../client.ts';
import type { TrainConfig, WorkerEvent } from '../protocol.ts';
import { LineChart } from './chart.ts';
import { type PanelContext, showError } from './context.ts';
import { field, fmt, h, num, numberInput } from './dom.ts';

export function createTrainPanel(root: HTMLElement, ctx: PanelContext): void {
  const text = h('textarea', {
    id: 'train-text',
    rows: 6,
    placeholder: 'paste any text (a few kilobytes or more)',
  });
  const moby = h('button', { id: 'train-moby', type: 'button' }, 'Use a Moby-Dick excerpt (chapters 1–10)');
  const steps = numberInput('train-steps', 200, 1, 100000, 1);
  const layers = numberInput('train-layers', 2, 1, 8, 1);
  const width = numberInput('train-width', 64, 16, 512, 16);
  const heads = numberInput('train-heads', 4, 1, 16, 1);
  const context = numberInput('train-context', 64, 8, 256, 8);
  const batch = numberInput('train-batch', 8, 1, 64, 1);
  const lr = numberInput('train-lr', 0.003, 0.00001, 0.1, 0.0005);
  const every = numberInput('train-sample-every', 50, 0, 10000, 1);
  const go = h('button', { id: 'train-run', type: 'submit' }, 'Train');
  const stop = h('button', { id: 'train-stop', type: 'button', disabled: true }, 'Stop');
  const canvas = h('canvas', {
    'data-testid': 'loss-chart',
    role: 'img',
    'aria-label': 'training loss by step',
  });
  const chart = new LineChart(canvas);
  const stats = h('p', { class: 'stats', 'data-testid': 'train-stats', 'aria-live': 'polite' });
  const samples = h('ol', { class: 'samples', 'data-testid': 'train-samples' });
  let call: Call<unknown> | null = null;

  const loadMoby = async (): Promise<void> => {
    const r = await fetch(new URL('text/moby-dick.txt', document.baseURI));
    text.value = await r.text();
  };
  moby.addEventListener('click', () => void loadMoby());

  const run = async (): Promise<void> => {
    if (call) return;
    if (text.value.trim() === '') await loadMoby();
    root.dataset.state = 'running';
    go.disabled = true;
    stop.disabled = false;
    chart.clear();
    samples.replaceChildren();
    stats.textContent = 'starting…';
    const losses: number[] = [];
    const config: TrainConfig = {
      text: text.value,
      steps: num(steps),
      layers: num(layers),
      width: num(width),
      heads: num(heads),
      context: num(context),
      batchSize: num(batch),
      lr: num(lr),
      sampleEvery: num(every),
      seed: 1,
    };
    try {
      call = ctx.worker.call({ type: 'train', ...config }, (e: WorkerEvent) => {
        if (e.type === 'train-step') {
          losses.push(e.loss);
          chart.push(e.step, e.loss);
          stats.textContent = `step ${e.step}/${config.steps} · loss ${e.loss.toFixed(3)} · ${fmt(e.tokensPerSecond, 0)} tokens/s · ${fmt(e.elapsedMs / 1000)} s`;
          root.dataset.losses = JSON.stringify(losses.map((l) => Number(l.toFixed(4))));
        } else if (e.type === 'sample') {
          samples.prepend(
            h('li', {}, h('strong', {}, `step ${e.step}: `), h('span', { class: 'sample' }, e.text)),
          );
        }
      });
      const r = (await call.result) as { steps: number; first: number; last: number };
      stats.textContent += ` · done: loss ${r.first.toFixed(3)} → ${r.last.toFixed(3)} in ${r.steps} steps`;
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

  root.append(
    h(
      'p',
      { class: 'lead' },
      'Train a tiny GPT (characters as tokens) from scratch, right here, and watch it learn to spell.',
    ),
    h(
      'form',
      {
        class: 'card',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void run();
        },
      },
      field('Training text', text),
      moby,
      h(
        'div',
        { class: 'row' },
        field('Steps', steps),
        field('Layers', layers),
        field('Width', width),
        field('Heads', heads),
        field('Context', context),
        field('Batch', batch),
        field('Learning rate', lr),
        field('Sample every', every, 'steps'),
      ),
      h('div', { class: 'row' }, go, stop),
      h('div', { class: 'canvas-wrap' }, canvas),
      stats,
      h('h3', {}, 'Samples (newest first)'),
      samples,
    ),
  );
  chart.draw();
}
