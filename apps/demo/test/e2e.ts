// End-to-end tests of the built demo in headless Debian chromium (playwright-core): the page's answers are
// checked against the same packages and the same shipped models run in Node. Writes
// .test-results/demo.json at the repository root ({numPassedTests, numFailedTests, numPendingTests, testResults}) and
// screenshots into screenshots/. Without chromium it skips with the reason, except under CI=true, where that
// is a failure.
//   pnpm --filter @tsformer/demo e2e        BACKENDS=wasm,js,webgl2,webgpu to choose
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from '@tsformer/pipelines';
import { ByteLevelBpeTokenizer, WordPieceTokenizer } from '@tsformer/tokenizer';
import type { Page } from 'playwright-core';
import { app, ensureBuilt, findChromium, launch, root, serveDist } from './browser.ts';

interface Result {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  ms: number;
  message?: string;
}
const results: Result[] = [];
const outDir = join(root, '.test-results');
const shots = join(app, 'screenshots');
const started = Date.now();

function report(): never {
  const passed = results.filter((r) => r.status === 'passed').length;
  const failed = results.filter((r) => r.status === 'failed').length;
  const skipped = results.filter((r) => r.status === 'skipped').length;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'demo.json'),
    `${JSON.stringify(
      {
        numPassedTests: passed,
        numFailedTests: failed,
        numPendingTests: skipped,
        numTodoTests: 0,
        success: failed === 0,
        durationMs: Date.now() - started,
        testResults: [
          {
            name: 'apps/demo/test/e2e.ts',
            assertionResults: results.map((r) => ({
              fullName: r.name,
              status: r.status === 'skipped' ? 'pending' : r.status,
              duration: r.ms,
              failureMessages: r.message && r.status === 'failed' ? [r.message] : [],
            })),
          },
        ],
      },
      null,
      2,
    )}\n`,
  );
  console.log(
    `\ndemo e2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  process.exit(failed > 0 ? 1 : 0);
}

async function test(name: string, fn: () => Promise<void>): Promise<void> {
  const t = Date.now();
  try {
    await fn();
    results.push({ name, status: 'passed', ms: Date.now() - t });
    console.log(`  ✓ ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    const message = (e as Error).stack ?? String(e);
    results.push({ name, status: 'failed', ms: Date.now() - t, message });
    console.log(`  ✗ ${name}\n    ${(e as Error).message}`);
  }
}

function skip(name: string, why: string): void {
  results.push({ name, status: 'skipped', ms: 0, message: why });
  console.log(`  - ${name} (skipped: ${why})`);
}

function assert(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

function same(a: unknown, b: unknown, what: string): void {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  assert(x === y, `${what}: the page gave ${x.slice(0, 400)}, Node gave ${y.slice(0, 400)}`);
}

// ---- preconditions ----------------------------------------------------------------------------------------
const chrome = findChromium();
if (!chrome.path) {
  if (process.env.CI === 'true') {
    results.push({ name: 'demo e2e: chromium', status: 'failed', ms: 0, message: chrome.reason });
    console.error(`demo e2e: FAILED under CI=true: ${chrome.reason}`);
  } else skip('demo e2e', chrome.reason);
  report();
}
ensureBuilt();

// ---- what Node says ----------------------------------------------------------------------------------------
const TEXT = 'Call me Ishmael. Unbelievably, the whale’s tail-fluke struck the boat — twice!';
const MASK = 'the whale swam under the [MASK].';
const PROMPT = 'Call me Ishmael. Some years ago';
const ATT = 'the whale struck the boat and the men fell into the sea';
const vocab = (p: string): string => readFileSync(join(app, 'public/vocab', p), 'utf8');
const wp = WordPieceTokenizer.fromVocabText(vocab('bert-base-uncased/vocab.txt'));
const bpe = ByteLevelBpeTokenizer.fromFiles(vocab('gpt2/encoder.json'), vocab('gpt2/vocab.bpe'));
const fill = await pipeline('fill-mask', join(app, 'public/models/bert'));
const nodeTop1 = ((await fill(MASK, { top_k: 5 })) as { token_str: string }[])[0]!.token_str;
const gen = await pipeline('text-generation', join(app, 'public/models/gpt'));
const [nodeGreedy] = await gen(PROMPT, { max_new_tokens: 20, do_sample: false, return_full_text: false });

// ---- the page ----------------------------------------------------------------------------------------------
const server = await serveDist(true);
const browser = await launch(chrome.path!);
mkdirSync(shots, { recursive: true });

async function open(backend: string, panel: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.log(`    [page error] ${e.message}`));
  await page.goto(`${server.url}?backend=${backend}#${panel}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return page;
}

async function tab(page: Page, id: string): Promise<void> {
  await page.click(`#tab-${id}`);
}

async function setValue(page: Page, selector: string, value: string): Promise<void> {
  await page.fill(selector, value);
}

async function checkBackend(page: Page, backend: string): Promise<void> {
  const active = await page.evaluate(() => document.body.dataset.backend);
  same(active, backend, 'active backend');
}

const requested = (process.env.BACKENDS ?? 'wasm,js,webgl2,webgpu').split(',');
// per GPU backend: whether the page found it working, else why not
const gpuStatus = new Map<string, { works: boolean; reason: string }>();

try {
  console.log(`demo e2e: ${server.url} in ${chrome.path}`);
  // the first page tells which backends work here
  const first = await open('wasm', 'tokenize');
  await test('page loads, models ready, backend switch lists all four with reasons', async () => {
    await first.waitForSelector('body[data-backends="true"]', { timeout: 60_000 });
    const options = await first.$$eval('#backend option', (os) =>
      os.map((o) => ({
        value: (o as HTMLOptionElement).value,
        disabled: (o as HTMLOptionElement).disabled,
        title: (o as HTMLOptionElement).title,
      })),
    );
    same(
      options.map((o) => o.value),
      ['webgl2', 'webgpu', 'wasm', 'js'],
      'backend options',
    );
    assert(!options.find((o) => o.value === 'wasm')!.disabled, 'WebAssembly is not available');
    for (const o of options) gpuStatus.set(o.value, { works: !o.disabled, reason: o.title });
    for (const o of options)
      if (o.disabled) assert(o.title.length > 0, `${o.value} is unavailable without a reason`);
    const isolated = await first.evaluate(() => crossOriginIsolated);
    assert(isolated, 'the page is not cross-origin isolated');
    const info = await first.textContent('#backend-info');
    assert(/WebAssembly: SIMD, \d+ threads?/.test(info ?? ''), `backend info: ${info}`);
    console.log(`    backend: ${info}`);
  });
  await first.close();

  for (const backend of requested) {
    const status = gpuStatus.get(backend);
    if ((backend === 'webgl2' || backend === 'webgpu') && !status?.works) {
      const why = status?.reason || 'not available here';
      // Debian's chromium gives both through SwiftShader: under CI a missing GPU path is a failure
      if (process.env.CI === 'true')
        results.push({ name: `${backend}: all checks`, status: 'failed', ms: 0, message: why });
      else skip(`${backend}: all checks`, why);
      continue;
    }
    console.log(`\n[${backend}]`);
    const page = await open(backend, 'tokenize');
    const shoot = backend === 'wasm';
    await test(`${backend}: runs on the requested backend`, () => checkBackend(page, backend));
    if (backend === 'wasm') {
      await test(`${backend}: tokenize: ids equal @tsformer/tokenizer's (WordPiece and GPT-2 BPE)`, async () => {
        await setValue(page, '#tok-text', TEXT);
        await setValue(page, '#tok-pair', 'It sank.');
        const want = { wp: wp.encode(TEXT), bpe: bpe.encode(TEXT) };
        await page
          .waitForFunction(
            (w) => document.querySelector('[data-testid="wp-ids"]')?.textContent === JSON.stringify(w.wp),
            want,
            { timeout: 15_000 },
          )
          .catch(() => {});
        const got = {
          wp: JSON.parse((await page.textContent('[data-testid="wp-ids"]')) ?? '[]'),
          bpe: JSON.parse((await page.textContent('[data-testid="bpe-ids"]')) ?? '[]'),
        };
        same(got, want, 'token ids');
        const seg = JSON.parse((await page.textContent('[data-testid="pair-segments"]')) ?? '[]');
        same(seg, wp.encodePair(TEXT, 'It sank.').tokenTypeIds, 'pair segment ids');
        if (shoot) await page.screenshot({ path: join(shots, 'tokenize.png'), fullPage: true });
      });
    }
    await test(`${backend}: fill-mask top-1 equals Node's (${nodeTop1})`, async () => {
      await tab(page, 'bert');
      await setValue(page, '#mask-text', MASK);
      await page.click('#mask-run');
      await page.waitForSelector('[data-testid="mask-out"] li[data-rank="1"]', { timeout: 30_000 });
      const top = await page.getAttribute('[data-testid="mask-out"] li[data-rank="1"]', 'data-token');
      same(top, nodeTop1, 'fill-mask top-1');
      if (shoot) {
        await page.click('#nsp-run');
        await page.waitForSelector('[data-testid="nsp-out"] meter', { timeout: 30_000 });
        await page.click('#sim-run');
        await page.waitForFunction(
          () => (document.querySelector('[data-testid="sim-canvas"]') as HTMLCanvasElement).width > 0,
          null,
          { timeout: 30_000 },
        );
        await page.screenshot({ path: join(shots, 'bert.png'), fullPage: true });
      }
    });
    await test(`${backend}: 20 greedy tokens equal Node's`, async () => {
      await tab(page, 'gpt');
      await setValue(page, '#gen-prompt', PROMPT);
      await page.check('#gen-greedy');
      await setValue(page, '#gen-max', '20');
      await page.evaluate(() => {
        document.getElementById('panel-gpt')!.dataset.state = '';
      });
      await page.click('#gen-run');
      await page.waitForSelector('#panel-gpt[data-state="done"]', { timeout: 60_000 });
      const text = await page.textContent('[data-testid="gen-text"]');
      same(text, nodeGreedy!.generated_text, 'greedy continuation');
      const stats = await page.textContent('[data-testid="gen-stats"]');
      assert(/tokens\/s/.test(stats ?? ''), `no tokens/s in ${stats}`);
      console.log(`    ${stats}`);
      if (shoot) await page.screenshot({ path: join(shots, 'gpt.png'), fullPage: true });
    });
    await test(`${backend}: stop ends a generation early`, async () => {
      await page.uncheck('#gen-greedy');
      await setValue(page, '#gen-max', '120');
      await page.evaluate(() => {
        document.getElementById('panel-gpt')!.dataset.state = '';
      });
      await page.click('#gen-run');
      await page.waitForFunction(
        () => (document.querySelector('[data-testid="gen-text"]')?.textContent ?? '').length > 0,
        null,
        { timeout: 30_000 },
      );
      await page.click('#gen-stop');
      await page.waitForSelector('#panel-gpt[data-state="done"]', { timeout: 30_000 });
      same(await page.getAttribute('#panel-gpt', 'data-finish'), 'cancelled', 'finish reason after Stop');
    });
    await test(`${backend}: attention maps drawn; BERT full, GPT causal (upper triangle empty)`, async () => {
      await tab(page, 'attention');
      await setValue(page, '#att-text', ATT);
      await page.waitForSelector('#panel-attention[data-ready="true"]', {
        state: 'attached',
        timeout: 30_000,
      });
      await page.evaluate(() => {
        document.getElementById('panel-attention')!.dataset.ready = '';
      });
      await page.click('#att-run');
      await page.waitForSelector('#panel-attention[data-ready="true"]', { timeout: 30_000 });
      const check = await page.evaluate(() => {
        const look = (id: string) => {
          const c = document.querySelector(`[data-testid="${id}-attention-grid"]`) as HTMLCanvasElement;
          const d = c.dataset;
          const t = Number(d.t);
          const scale = c.width / Number.parseFloat(c.style.width);
          const ctx = c.getContext('2d')!;
          let upperDrawn = 0;
          let upperEmpty = 0;
          let lowerDrawn = 0;
          let cells = 0;
          for (let l = 0; l < Number(d.layers); l++)
            for (let k = 0; k < Number(d.heads); k++) {
              const x0 = Number(d.left) + k * (Number(d.cell) + Number(d.gap));
              const y0 = Number(d.top) + l * (Number(d.cell) + Number(d.gap));
              const size = Number(d.cell);
              for (let i = 0; i < t; i++)
                for (let j = 0; j < t; j++) {
                  const px = Math.round((x0 + ((j + 0.5) * size) / t) * scale);
                  const py = Math.round((y0 + ((i + 0.5) * size) / t) * scale);
                  const a = ctx.getImageData(px, py, 1, 1).data[3]!;
                  cells++;
                  if (j > i) {
                    if (a > 0) upperDrawn++;
                    else upperEmpty++;
                  } else if (a > 0) lowerDrawn++;
                }
            }
          return {
            t,
            cells,
            upperDrawn,
            upperEmpty,
            lowerDrawn,
            layers: Number(d.layers),
            heads: Number(d.heads),
          };
        };
        return { bert: look('bert'), gpt: look('gpt') };
      });
      const { bert, gpt } = check;
      assert(bert.t > 3 && gpt.t > 3, `too few tokens: ${JSON.stringify(check)}`);
      assert(
        bert.upperEmpty === 0 && bert.lowerDrawn > 0,
        `BERT maps are not full squares: ${JSON.stringify(bert)}`,
      );
      assert(gpt.upperDrawn === 0 && gpt.upperEmpty > 0, `GPT maps are not causal: ${JSON.stringify(gpt)}`);
      assert(
        gpt.lowerDrawn === gpt.cells - gpt.upperEmpty,
        `GPT lower triangle not drawn: ${JSON.stringify(gpt)}`,
      );
      if (shoot) await page.screenshot({ path: join(shots, 'attention.png'), fullPage: true });
    });
    await test(`${backend}: train 30 steps in the page, the loss falls`, async () => {
      await tab(page, 'train');
      await setValue(page, '#train-steps', '30');
      await setValue(page, '#train-sample-every', shoot ? '15' : '0');
      await page.evaluate(() => {
        document.getElementById('panel-train')!.dataset.state = '';
      });
      await page.click('#train-run');
      await page.waitForSelector('#panel-train[data-state="done"]', { timeout: 180_000 });
      const losses = JSON.parse((await page.getAttribute('#panel-train', 'data-losses')) ?? '[]') as number[];
      assert(
        losses.length === 30,
        `expected 30 losses, got ${losses.length}: ${await page.textContent('[data-testid="train-stats"]')}`,
      );
      const head = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
      const tail = losses.slice(-5).reduce((a, b) => a + b) / 5;
      assert(
        tail < head - 0.3,
        `the loss did not fall: first five ${head.toFixed(3)}, last five ${tail.toFixed(3)}`,
      );
      console.log(
        `    loss ${head.toFixed(3)} → ${tail.toFixed(3)}; ${await page.textContent('[data-testid="train-stats"]')}`,
      );
      if (shoot) await page.screenshot({ path: join(shots, 'train.png'), fullPage: true });
    });
    if (backend === 'wasm') {
      const files = ['config.json', 'model.safetensors', 'tokenizer.json'];
      const loaded = async (which: string, source: RegExp): Promise<void> => {
        await page
          .waitForFunction(
            ([w, re]) =>
              new RegExp(re).test(
                document.querySelector(`[data-testid="model-table"] tr[data-which="${w}"] td.src`)
                  ?.textContent ?? '',
              ),
            [which, source.source] as const,
            { timeout: 30_000 },
          )
          .catch(async () => {
            throw new Error(`not loaded: ${await page.textContent('[data-testid="load-status"]')}`);
          });
      };
      const greedy = async (): Promise<string | null> => {
        await tab(page, 'gpt');
        await page.check('#gen-greedy');
        await setValue(page, '#gen-prompt', PROMPT);
        await setValue(page, '#gen-max', '20');
        await page.evaluate(() => {
          document.getElementById('panel-gpt')!.dataset.state = '';
        });
        await page.click('#gen-run');
        await page.waitForSelector('#panel-gpt[data-state="done"]', { timeout: 60_000 });
        return page.textContent('[data-testid="gen-text"]');
      };
      await test(`${backend}: load a checkpoint folder with the folder picker, then generate as Node does`, async () => {
        await tab(page, 'models');
        await page.setInputFiles('#load-folder', join(app, 'public/models/gpt'));
        await loaded('gpt', /^\d files$/);
        same(await greedy(), nodeGreedy!.generated_text, 'greedy continuation after loading from files');
      });
      await test(`${backend}: load a checkpoint by drag and drop`, async () => {
        await tab(page, 'models');
        await page.evaluate(async (names) => {
          const dt = new DataTransfer();
          for (const n of names) {
            const blob = await (await fetch(`models/bert/${n}`)).blob();
            dt.items.add(new File([blob], n));
          }
          document
            .querySelector('[data-testid="drop-zone"]')!
            .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        }, files);
        await loaded('bert', /^3 files$/);
      });
      await test(`${backend}: load a checkpoint from a URL (HTTP ranges), then fill the mask as Node does`, async () => {
        await tab(page, 'models');
        await setValue(page, '#load-url', `${server.url}models/bert/`);
        await page.click('#load-url-go');
        await loaded('bert', /models\/bert\/$/);
        await tab(page, 'bert');
        await page.evaluate(() => document.querySelector('[data-testid="mask-out"]')!.replaceChildren());
        await page.click('#mask-run');
        await page.waitForSelector('[data-testid="mask-out"] li[data-rank="1"]', { timeout: 30_000 });
        same(
          await page.getAttribute('[data-testid="mask-out"] li[data-rank="1"]', 'data-token'),
          nodeTop1,
          'fill-mask top-1 after loading from a URL',
        );
      });
    }
    if (shoot) {
      await test(`${backend}: models panel lists both models and the backends`, async () => {
        await tab(page, 'models');
        const rows = await page.$$eval('[data-testid="model-table"] tr', (r) =>
          r.map((x) => (x as HTMLElement).dataset.which),
        );
        same(rows.sort(), ['bert', 'gpt'], 'loaded models');
        await page.waitForSelector('[data-testid="backend-table"] tr[data-kind="js"]');
        await page.screenshot({ path: join(shots, 'models.png'), fullPage: true });
        await page.setViewportSize({ width: 390, height: 844 });
        await tab(page, 'attention');
        await page.screenshot({ path: join(shots, 'phone-attention.png') });
      });
    }
    await page.close();
  }
  await test('without COOP/COEP the page falls back to one thread', async () => {
    const plain = await serveDist(false);
    const page = await browser.context.newPage();
    try {
      await page.goto(`${plain.url}?backend=wasm#gpt`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      const info = await page.textContent('#backend-info');
      assert(/1 thread \(the page is not cross-origin isolated/.test(info ?? ''), `backend info: ${info}`);
    } finally {
      await page.close();
      await plain.close();
    }
  });
} finally {
  await browser.close();
  await server.close();
}
report();
