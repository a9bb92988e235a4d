// The page: a header with the backend switch, a tab per panel, and the model worker behind them. Out of the box
// it loads the shipped BERT and GPT (public/models/) on WebAssembly, then measures the other backends and moves
// to the fastest that works. `?backend=wasm|js|webgl2|webgpu` pins one (the tests and the benchmark use it).
import './style.css';
import { ModelWorker } from './client.ts';
import type { ActiveBackend, BackendKind, BackendStatus, ModelSummary } from './protocol.ts';
import { createAttentionPanel } from './ui/attention.ts';
import { createBertPanel } from './ui/bert.ts';
import type { PanelContext } from './ui/context.ts';
import { fmt, h } from './ui/dom.ts';
import { createGptPanel } from './ui/gpt.ts';
import { createModelsPanel } from './ui/models.ts';
import { createTokenizePanel } from './ui/tokenize.ts';
import { createTrainPanel } from './ui/train.ts';

const t0 = performance.now();
const params = new URLSearchParams(location.search);
const pinned = params.get('backend') as BackendKind | null;
const worker = new ModelWorker();

const statusLine = document.getElementById('status')!;
const status = (text: string): void => {
  statusLine.textContent = text;
};
worker.onStatus = (text) => status(text);

// ---- backend switch ---------------------------------------------------------------------------------------
const select = document.getElementById('backend') as HTMLSelectElement;
const backendInfo = document.getElementById('backend-info')!;
const KINDS: [BackendKind, string][] = [
  ['webgl2', 'gpu.js WebGL2'],
  ['webgpu', 'gpu.js WebGPU'],
  ['wasm', 'WebAssembly'],
  ['js', 'plain JS'],
];
select.replaceChildren(...KINDS.map(([k, label]) => h('option', { value: k }, label)));
let statuses: BackendStatus[] = [];
const showActive = (a: ActiveBackend): void => {
  select.value = a.kind;
  const speed = statuses.find((s) => s.kind === a.kind)?.gflops;
  backendInfo.textContent = `${a.label}: ${a.detail}${speed !== undefined ? ` · ${fmt(speed)} GFLOP/s` : ''}${a.fallback ? ` · ${a.fallback}` : ''}`;
  document.body.dataset.backend = a.kind;
};

// ---- models -----------------------------------------------------------------------------------------------
let markReady: () => void = () => {};
let modelsReady = new Promise<void>((r) => {
  markReady = r;
});
let markGptReady: () => void = () => {};
let gptReady = new Promise<void>((r) => {
  markGptReady = r;
});
const notReady = (): void => {
  modelsReady = new Promise<void>((r) => {
    markReady = r;
  });
  gptReady = modelsReady;
};
const ctx: PanelContext = {
  worker,
  status,
  get modelsReady() {
    return modelsReady;
  },
  get gptReady() {
    return gptReady;
  },
};

const panels: [string, string, (root: HTMLElement) => void][] = [
  ['tokenize', 'Tokenize', (r) => createTokenizePanel(r, ctx)],
  ['bert', 'BERT', (r) => createBertPanel(r, ctx)],
  ['gpt', 'GPT', (r) => createGptPanel(r, ctx)],
  ['attention', 'Attention', (r) => createAttentionPanel(r, ctx)],
  ['train', 'Train here', (r) => createTrainPanel(r, ctx)],
];
const tabs = document.getElementById('tabs')!;
const main = document.getElementById('panels')!;
const buttons: HTMLButtonElement[] = [];
const sections: HTMLElement[] = [];
const select_ = (i: number, focus = false): void => {
  buttons.forEach((b, k) => {
    b.setAttribute('aria-selected', String(k === i));
    b.tabIndex = k === i ? 0 : -1;
    sections[k]!.hidden = k !== i;
  });
  if (focus) buttons[i]!.focus();
  history.replaceState(null, '', `#${buttons[i]!.dataset.panel}${location.search ? '' : ''}`);
};
let modelsPanel: ReturnType<typeof createModelsPanel> | null = null;
const all: [string, string, (root: HTMLElement) => void][] = [
  ...panels,
  [
    'models',
    'Models',
    (r) => {
      modelsPanel = createModelsPanel(r, { ...ctx, reloadViews: () => {} });
    },
  ],
];
all.forEach(([id, label, make], i) => {
  const b = h(
    'button',
    { role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}`, 'data-panel': id, type: 'button' },
    label,
  );
  b.addEventListener('click', () => select_(i));
  b.addEventListener('keydown', (e) => {
    const n = all.length;
    const k =
      e.key === 'ArrowRight'
        ? (i + 1) % n
        : e.key === 'ArrowLeft'
          ? (i + n - 1) % n
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? n - 1
              : -1;
    if (k >= 0) {
      e.preventDefault();
      select_(k, true);
    }
  });
  const s = h('section', {
    role: 'tabpanel',
    id: `panel-${id}`,
    'aria-labelledby': `tab-${id}`,
    class: 'panel',
    tabindex: 0,
  });
  buttons.push(b);
  sections.push(s);
  tabs.append(b);
  main.append(s);
  make(s);
});
const start = Math.max(
  0,
  all.findIndex(([id]) => `#${id}` === location.hash),
);
select_(start);

async function loadShipped(): Promise<void> {
  for (const which of ['gpt', 'bert'] as const) {
    const s = await worker.call<ModelSummary>({
      type: 'load',
      which,
      url: new URL(`models/${which}/`, document.baseURI).toString(),
      shipped: true,
    }).result;
    modelsPanel?.show(s);
    if (which === 'gpt') {
      markGptReady();
      // a macrotask, so that a Generate pressed while loading goes to the worker before the BERT
      await new Promise((r) => setTimeout(r, 0));
    }
  }
}

/** Resolves once the worker has had nothing to do for `ms` (the backend probe must not delay a first request). */
async function idle(ms: number): Promise<void> {
  let quiet = 0;
  while (quiet < ms) {
    await new Promise((r) => setTimeout(r, 100));
    quiet = worker.busy ? 0 : quiet + 100;
  }
}

async function boot(): Promise<void> {
  try {
    status('starting WebAssembly…');
    const first = await worker.call<ActiveBackend>({ type: 'use-backend', kind: pinned ?? 'wasm' }).result;
    showActive(first);
    status('loading the shipped GPT and BERT…');
    await loadShipped();
    markReady();
    document.body.dataset.ready = 'true';
    (window as unknown as { __demoReadyMs?: number }).__demoReadyMs = performance.now() - t0;
    status(`models ready after ${fmt(performance.now() - t0, 0)} ms`);
    await idle(pinned ? 300 : 1000);
    statuses = await worker.call<BackendStatus[]>({ type: 'backends' }).result;
    modelsPanel?.showBackends(statuses);
    for (const o of Array.from(select.options)) {
      const st = statuses.find((s) => s.kind === o.value);
      o.disabled = !st?.available;
      o.textContent = st?.available ? `${st.label}` : `${st?.label ?? o.value} — not available`;
      o.title = st?.detail ?? '';
    }
    if (!pinned) {
      const best = statuses.filter((s) => s.available).sort((a, b) => (b.gflops ?? 0) - (a.gflops ?? 0))[0];
      if (best && best.kind !== first.kind) {
        notReady();
        status(`moving to ${best.label}, the fastest that works here…`);
        showActive(await worker.call<ActiveBackend>({ type: 'use-backend', kind: best.kind }).result);
        markReady();
      } else {
        const why = statuses
          .filter((s) => !s.available)
          .map((s) => `${s.label}: ${s.detail}`)
          .join('; ');
        showActive({
          ...first,
          fallback: why ? `fastest that works here (${why})` : 'fastest that works here',
        });
      }
    } else showActive(first);
    document.body.dataset.backends = 'true';
  } catch (e) {
    status(`⚠ ${(e as Error).message}`);
  }
}

select.addEventListener('change', () => {
  const kind = select.value as BackendKind;
  notReady();
  status(`switching to ${kind}…`);
  worker
    .call<ActiveBackend>({ type: 'use-backend', kind })
    .result.then((a) => {
      showActive(a);
      status(`running on ${a.label}`);
    })
    .catch((e: Error) => status(`⚠ ${e.message}`))
    .finally(() => markReady());
});

void boot();
