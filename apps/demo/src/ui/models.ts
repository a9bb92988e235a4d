// Load models: a trainer checkpoint folder (config.json, model.safetensors, tokenizer.json) by folder picker, file
// picker or drag and drop, or a URL of such a folder. The architecture in config.json says whether it is the
// BERT or the GPT slot.
import type { BackendStatus, ModelSummary } from '../protocol.ts';
import { type PanelContext, showError } from './context.ts';
import { field, fmt, h } from './dom.ts';

function which(config: { architectures?: string[]; model_type?: string }): 'bert' | 'gpt' {
  const arch = config.architectures?.[0] ?? config.model_type ?? '';
  if (/bert/i.test(arch)) return 'bert';
  if (/gpt/i.test(arch)) return 'gpt';
  throw new Error(`config.json names ${JSON.stringify(arch)}, neither a BERT nor a GPT-2`);
}

export interface ModelsPanel {
  show(summary: ModelSummary): void;
  showBackends(list: BackendStatus[]): void;
}

export function createModelsPanel(
  root: HTMLElement,
  ctx: PanelContext & { reloadViews(): void },
): ModelsPanel {
  const table = h('tbody', { 'data-testid': 'model-table' });
  const rows = new Map<string, HTMLTableRowElement>();
  const backends = h('tbody', { 'data-testid': 'backend-table' });
  const status = h('p', { class: 'note', 'aria-live': 'polite', 'data-testid': 'load-status' });

  const show = (s: ModelSummary): void => {
    const row = h(
      'tr',
      { 'data-which': s.which },
      h('th', { scope: 'row' }, s.which === 'bert' ? 'BERT' : 'GPT'),
      h('td', {}, s.architecture),
      h('td', {}, `${s.layers} × ${s.width}, ${s.heads} heads`),
      h('td', {}, `${fmt(s.parameters / 1e6, 2)} M`),
      h('td', {}, s.tokenizer),
      h('td', {}, String(s.context)),
      h('td', { class: 'src' }, s.source),
      h('td', {}, `${fmt(s.loadMs, 0)} ms`),
    );
    rows.get(s.which)?.remove();
    rows.set(s.which, row);
    table.append(row);
  };

  const load = async (slot: 'bert' | 'gpt', request: { url?: string; files?: File[] }): Promise<void> => {
    status.textContent = `loading the ${slot.toUpperCase()}…`;
    try {
      const s = await ctx.worker.call<ModelSummary>({ type: 'load', which: slot, ...request }, (e) => {
        if (e.type === 'progress')
          status.textContent = `${e.text}${e.fraction !== undefined ? ` ${fmt(e.fraction * 100, 0)} %` : ''}`;
      }).result;
      show(s);
      status.textContent = `loaded the ${slot.toUpperCase()} from ${s.source}`;
      ctx.reloadViews();
    } catch (e) {
      showError(status, e);
    }
  };

  const fromFiles = async (list: FileList | File[] | null): Promise<void> => {
    const files = Array.from(list ?? []);
    // a run folder holds checkpoint/ (and maybe checkpoint-prev/): prefer checkpoint/config.json, else the shallowest
    const depth = (f: File): number =>
      f.webkitRelativePath.endsWith('/checkpoint/config.json') ? -1 : f.webkitRelativePath.split('/').length;
    const config = files.filter((f) => f.name === 'config.json').sort((a, b) => depth(a) - depth(b))[0];
    if (!config) {
      showError(
        status,
        new Error('pick a checkpoint folder: it needs config.json, model.safetensors and tokenizer.json'),
      );
      return;
    }
    // take the files beside config.json
    const dir = config.webkitRelativePath.slice(0, config.webkitRelativePath.lastIndexOf('/') + 1);
    const mine = dir
      ? files.filter(
          (f) =>
            f.webkitRelativePath.startsWith(dir) && !f.webkitRelativePath.slice(dir.length).includes('/'),
        )
      : files;
    try {
      await load(which(JSON.parse(await config.text())), { files: mine });
    } catch (e) {
      showError(status, e);
    }
  };

  const folder = h('input', { id: 'load-folder', type: 'file', webkitdirectory: true, multiple: true });
  folder.addEventListener('change', () => void fromFiles(folder.files));
  const picker = h('input', {
    id: 'load-files',
    type: 'file',
    multiple: true,
    accept: '.json,.safetensors,.txt',
  });
  picker.addEventListener('change', () => void fromFiles(picker.files));
  const drop = h(
    'div',
    { class: 'drop', tabindex: 0, 'data-testid': 'drop-zone' },
    'Drop a checkpoint folder or its files here',
  );
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    void (async () => {
      const files: File[] = [];
      const items = Array.from(e.dataTransfer?.items ?? []);
      const entries = items.map((i) => i.webkitGetAsEntry?.()).filter((x): x is FileSystemEntry => !!x);
      const walk = async (entry: FileSystemEntry): Promise<void> => {
        if (entry.isFile)
          files.push(await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej)));
        else if (entry.isDirectory) {
          const reader = (entry as FileSystemDirectoryEntry).createReader();
          const children = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
          for (const c of children) if (c.isFile) await walk(c);
          // a trainer run folder: look inside checkpoint/
          const ckpt = children.find((c) => c.isDirectory && c.name === 'checkpoint');
          if (ckpt && !children.some((c) => c.name === 'config.json')) await walk(ckpt);
        }
      };
      if (entries.length) for (const en of entries) await walk(en);
      else files.push(...Array.from(e.dataTransfer?.files ?? []));
      await fromFiles(files);
    })();
  });
  const url = h('input', { id: 'load-url', type: 'url', placeholder: 'https://…/my-run/checkpoint/' });
  const urlForm = h(
    'form',
    {
      class: 'row',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void (async () => {
          try {
            const base = new URL(url.value.endsWith('/') ? url.value : `${url.value}/`, document.baseURI);
            const r = await fetch(new URL('config.json', base));
            if (!r.ok) throw new Error(`${base}config.json: HTTP ${r.status}`);
            await load(which(await r.json()), { url: base.toString() });
          } catch (err) {
            showError(status, err);
          }
        })();
      },
    },
    field('URL of a checkpoint folder', url),
    h('button', { id: 'load-url-go', type: 'submit' }, 'Load'),
  );
  const shipped = h(
    'button',
    {
      type: 'button',
      onclick: () =>
        void (async () => {
          for (const slot of ['bert', 'gpt'] as const)
            await load(slot, { url: new URL(`models/${slot}/`, document.baseURI).toString() });
        })(),
    },
    'Reload the shipped models',
  );

  root.append(
    h(
      'p',
      { class: 'lead' },
      'The page ships a tiny BERT and a tiny GPT trained on Moby-Dick with ',
      h('code', {}, 'pnpm train'),
      '. Load your own checkpoint to replace either.',
    ),
    h(
      'section',
      { class: 'card' },
      h('h3', {}, 'Loaded models'),
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['', 'architecture', 'shape', 'parameters', 'tokenizer', 'context', 'source', 'load'].map(
                (c) => h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          table,
        ),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h3', {}, 'Load a checkpoint'),
      h(
        'p',
        { class: 'note' },
        'A folder written by the trainer (',
        h('code', {}, 'runs/gpt/checkpoint'),
        ') or any Hugging Face BERT / GPT-2 folder with config.json, model.safetensors and tokenizer.json (or vocab files).',
      ),
      field('Folder', folder),
      field('Files', picker),
      drop,
      urlForm,
      shipped,
      status,
    ),
    h(
      'section',
      { class: 'card' },
      h('h3', {}, 'Backends'),
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['backend', 'works here', 'how / why not', '256³ matmul'].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          backends,
        ),
      ),
    ),
  );
  return {
    show,
    showBackends(list) {
      backends.replaceChildren(
        ...list.map((b) =>
          h(
            'tr',
            { 'data-kind': b.kind },
            h('th', { scope: 'row' }, b.label),
            h('td', {}, b.available ? 'yes' : 'no'),
            h('td', {}, b.detail),
            h('td', {}, b.gflops !== undefined ? `${fmt(b.gflops)} GFLOP/s` : '—'),
          ),
        ),
      );
    },
  };
}
