// pnpm bench (apps/demo): in headless chromium, per backend, the time from navigation to the first generated
// token of the shipped GPT (page load, worker start, model fetch and parse, prompt, first token), and the
// generation speed in tokens/s (greedy, 100 new tokens). `pnpm -s bench --json` prints one JSON document.
import { cpus } from 'node:os';
import { ensureBuilt, findChromium, launch, serveDist } from '../test/browser.ts';

const json = process.argv.includes('--json');
const log = (s: string): void => {
  if (!json) console.log(s);
};
const chrome = findChromium();
if (!chrome.path) {
  console.error(`demo bench: ${chrome.reason}`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
ensureBuilt();
const server = await serveDist(true);
const browser = await launch(chrome.path);
const results: {
  name: string;
  impl: string;
  backend: string;
  threads?: number;
  unit: string;
  value: number;
}[] = [];
const REPS = Number(process.env.REPS ?? 3);

try {
  const probe = await browser.context.newPage();
  await probe.goto(`${server.url}?backend=wasm#models`);
  await probe.waitForSelector('body[data-backends="true"]', { timeout: 120_000 });
  const available = await probe.$$eval('#backend option', (os) =>
    os.filter((o) => !(o as HTMLOptionElement).disabled).map((o) => (o as HTMLOptionElement).value),
  );
  const reasons = await probe.$$eval('#backend option', (os) =>
    os.map((o) => `${(o as HTMLOptionElement).value}: ${(o as HTMLOptionElement).title}`),
  );
  await probe.close();
  log(`backends here: ${reasons.join(' | ')}`);
  log('backend      | first token after load (ms, median of runs) | tokens/s (greedy, 100 tokens)');
  for (const backend of available) {
    const firsts: number[] = [];
    let rate = 0;
    let detail = '';
    for (let rep = 0; rep < REPS; rep++) {
      const page = await browser.context.newPage();
      await page.addInitScript(() => {
        const w = window as unknown as { __firstToken?: number };
        new MutationObserver((_, obs) => {
          const el = document.querySelector('[data-testid="gen-text"]');
          if (el && (el.textContent ?? '').length > 0) {
            w.__firstToken = performance.now();
            obs.disconnect();
          }
        }).observe(document, { subtree: true, childList: true, characterData: true });
      });
      await page.goto(`${server.url}?backend=${backend}#gpt`);
      await page.waitForSelector('#gen-run');
      await page.check('#gen-greedy');
      await page.fill('#gen-max', '100');
      // the Generate click waits for the models itself: press it as soon as the button exists
      await page.click('#gen-run');
      await page.waitForSelector('#panel-gpt[data-state="done"]', { timeout: 180_000 });
      firsts.push(await page.evaluate(() => (window as unknown as { __firstToken: number }).__firstToken));
      const stats = (await page.textContent('[data-testid="gen-stats"]')) ?? '';
      rate = Number(/([\d.,]+) tokens\/s/.exec(stats)?.[1]?.replace(/,/g, '') ?? Number.NaN);
      detail = (await page.textContent('#backend-info')) ?? '';
      await page.close();
    }
    firsts.sort((a, b) => a - b);
    const median = firsts[Math.floor(firsts.length / 2)]!;
    const threads = Number(/(\d+) threads?/.exec(detail)?.[1] ?? 1);
    results.push({
      name: 'page load → first generated token (shipped GPT)',
      impl: 'tsformer',
      backend,
      threads,
      unit: 'ms',
      value: Math.round(median),
    });
    results.push({
      name: 'generation, greedy, 100 tokens (shipped GPT)',
      impl: 'tsformer',
      backend,
      threads,
      unit: 'tokens/s',
      value: Math.round(rate * 10) / 10,
    });
    log(
      `${backend.padEnd(12)} | ${Math.round(median)} (${firsts.map((f) => Math.round(f)).join(', ')}) | ${rate.toFixed(1)}   [${detail}]`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.versions.node,
  browser: chrome.path,
  date: new Date().toISOString().slice(0, 10),
};
if (json) console.log(JSON.stringify({ machine, results }, null, 2));
else log(`machine: ${JSON.stringify(machine)}`);
