#!/usr/bin/env node
// The gpu backend's suites, on real GPU code paths with no GPU: (1) the tensor conformance suite (test/ops.test.ts,
// `[gpu]` blocks) and test/gpu/*.test.ts in Node through gpu.js `headlessgl` (the `gl` package, Mesa under
// xvfb-run); (2) test/browser/checks.ts in headless Debian Chromium driven by playwright-core, once on WebGL2 and
// once on WebGPU, both through SwiftShader; (3) the same checks plus the hf-tiny GPT-2 and BERT parity on gpu.js
// WebGPU in Node, through the `webgpu` package (Dawn) on Chromium's SwiftShader Vulkan driver (scripts/node-webgpu.ts). Writes vitest-shaped JSON reports to .test-results/gpu-*.json
// ({numPassedTests, numFailedTests, testResults[]}), prints `N passed, N failed`, exits non-zero on any failure.
// With CI=true a missing path (no gl, no chromium, no WebGPU adapter) is a failure, not a skip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkg = join(root, 'packages/tensor');
const out = join(root, '.test-results');
mkdirSync(out, { recursive: true });
const ci = process.env.CI === 'true';
const only = process.argv.slice(2); // e.g. `node scripts/test-gpu.mjs webgpu`
const want = (name) => only.length === 0 || only.includes(name);
const started = Date.now();
let passed = 0;
let failed = 0;
const failures = [];

function report(file, name, results, error) {
  const ok = results.filter((r) => r.ok).length;
  const bad = results.length - ok + (error ? 1 : 0);
  const json = {
    numPassedTests: ok,
    numFailedTests: bad,
    numPendingTests: 0,
    numTodoTests: 0,
    numFailedTestSuites: bad > 0 ? 1 : 0,
    testResults: [
      {
        name,
        status: bad > 0 ? 'failed' : 'passed',
        message: error ?? '',
        assertionResults: [
          ...results.map((r) => ({
            fullName: `${name} ${r.name}`,
            status: r.ok ? 'passed' : 'failed',
            duration: r.ms,
            failureMessages: r.ok ? [] : [r.message],
          })),
          ...(error ? [{ fullName: `${name} (setup)`, status: 'failed', failureMessages: [error] }] : []),
        ],
      },
    ],
  };
  writeFileSync(join(out, file), JSON.stringify(json, null, 2));
  passed += ok;
  failed += bad;
  for (const r of results) if (!r.ok) failures.push(`${name}: ${r.name}: ${r.message.split('\n')[0]}`);
  if (error) failures.push(`${name}: ${error.split('\n')[0]}`);
}

// ---- 0. the Debian packages and the gl build ----------------------------------------------------------------
const setup = spawnSync('bash', ['scripts/setup-gpu.sh'], { cwd: root, stdio: 'inherit' });
if (setup.status !== 0) {
  report('gpu-setup.json', 'gpu setup', [], 'scripts/setup-gpu.sh failed');
}

// ---- 1. Node: headless-gl under Xvfb -------------------------------------------------------------------------
// The tensor conformance suite, then the Hugging Face parity suites of the models with every tensor on the GPU.
function headlessgl(label, dir, fileName) {
  const t0 = Date.now();
  const file = join(out, fileName);
  rmSync(file, { force: true });
  const r = spawnSync(
    'xvfb-run',
    [
      '-a',
      'pnpm',
      'exec',
      'vitest',
      'run',
      '--config',
      'vitest.gpu.config.ts',
      '--reporter=default',
      '--reporter=json',
      `--outputFile=${file}`,
    ],
    { cwd: dir, stdio: 'inherit', env: { ...process.env, TSFORMER_GPU: 'headlessgl' } },
  );
  let rep = null;
  try {
    rep = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    report(fileName, label, [], `no vitest report (exit ${r.status})`);
  }
  if (rep) {
    passed += rep.numPassedTests;
    failed += rep.numFailedTests;
    for (const s of rep.testResults)
      for (const t of s.assertionResults) if (t.status === 'failed') failures.push(`${label} ${t.fullName}`);
    if (r.status !== 0 && rep.numFailedTests === 0) {
      failed++;
      failures.push(`${label} vitest exited ${r.status}`);
    }
    if (rep.numPassedTests === 0) {
      failed++;
      failures.push(`${label} no gpu test ran (is TSFORMER_GPU wired to describeBackends?)`);
    }
  }
  console.log(`=== gpu ${label}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

if (want('headlessgl')) {
  headlessgl('[headlessgl]', pkg, 'gpu-headlessgl.json');
  headlessgl('[headlessgl gpt hf-parity]', join(root, 'packages/gpt'), 'gpu-headlessgl-gpt.json');
  headlessgl('[headlessgl bert hf-parity]', join(root, 'packages/bert'), 'gpu-headlessgl-bert.json');
}

/**
 * Trains `preset` for its few steps on the CPU and on the gpu backend (`device`, spawned with `prefix`), same
 * seed, and compares the training losses step by step and the evaluations' losses; the gpu run also has to
 * write a complete checkpoint and its final report.
 */
const cpuRuns = new Map(); // preset → the folder of its CPU run, trained once for every gpu path
function trainerVsCpu(preset, device, prefix, env) {
  const trainer = join(root, 'apps/trainer');
  const dir = mkdtempSync(join(tmpdir(), `tsformer-gpu-trainer-${device}-`));
  const results = [];
  let error;
  try {
    const args = [
      'exec',
      'tsx',
      '--conditions=@tsformer/source',
      'src/cli.ts',
      ...(preset.includes('bert') ? ['bert'] : []),
      '--preset',
      preset,
      '--steps',
      '4',
    ];
    let cpuDir = cpuRuns.get(preset);
    if (cpuDir === undefined) {
      cpuDir = mkdtempSync(join(tmpdir(), `tsformer-cpu-trainer-${preset}-`));
      const cpu = spawnSync('pnpm', [...args, '--out', cpuDir], { cwd: trainer, encoding: 'utf8', env });
      if (cpu.status !== 0) throw new Error(`trainer failed on the CPU:\n${cpu.stderr}`);
      cpuRuns.set(preset, cpuDir);
    }
    const [cmd, ...pre] = [...prefix, 'pnpm'];
    const gpu = spawnSync(cmd, [...pre, ...args, '--device', device, '--out', join(dir, 'gpu')], {
      cwd: trainer,
      encoding: 'utf8',
      env,
    });
    if (gpu.status !== 0) throw new Error(`trainer failed:\n${gpu.stderr}\n${gpu.stdout.slice(-2000)}`);
    const records = (run, type) =>
      readFileSync(join(run === 'cpu' ? cpuDir : join(dir, run), 'log.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l))
        .filter((r) => r.type === type);
    const close = (x, y) =>
      x !== undefined && y !== undefined && Math.abs(x - y) <= 1e-3 * Math.abs(x) + 1e-4;
    const a = records('cpu', 'train').map((r) => r.loss);
    const b = records('gpu', 'train').map((r) => r.loss);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const ok = close(a[i], b[i]);
      results.push({
        name: `${preset} step ${i + 1}: cpu ${a[i]} gpu ${b[i]}`,
        ok,
        ms: 0,
        message: ok ? '' : 'losses differ',
      });
    }
    const ea = records('cpu', 'eval').map((r) => r.valLoss);
    const eb = records('gpu', 'eval').map((r) => r.valLoss);
    const evalOk = ea.length > 0 && ea.length === eb.length && ea.every((x, i) => close(x, eb[i]));
    results.push({
      name: `${preset} validation losses: cpu ${ea.join(', ')} gpu ${eb.join(', ')}`,
      ok: evalOk,
      ms: 0,
      message: evalOk ? '' : 'validation losses differ',
    });
    const files = [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'optimizer.safetensors',
      'trainer_state.json',
    ];
    const missing = files.filter((f) => !existsSync(join(dir, 'gpu', 'checkpoint', f)));
    const reported = (preset.includes('bert') ? /Fill-mask on held-out/ : /Sample \(prompt/).test(gpu.stdout);
    results.push({
      name: `${preset} on ${device}: checkpoint written and final report printed`,
      ok: missing.length === 0 && reported,
      ms: 0,
      message: missing.length
        ? `missing ${missing.join(', ')}`
        : reported
          ? ''
          : `no final report in:\n${gpu.stdout.slice(-1500)}`,
    });
  } catch (e) {
    error = e.message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { results, error };
}

// ---- 1b. the trainer on the gpu backend tracks the CPU run step for step (a small version of the 50-step proof
// in apps/trainer/RESULTS.md: the tiny preset, same seed, dropout masks identical by construction)
if (want('headlessgl') || want('trainer')) {
  const t0 = Date.now();
  const { results, error } = trainerVsCpu('tiny-gpt', 'headlessgl', ['xvfb-run', '-a'], process.env);
  report('gpu-trainer.json', '[headlessgl trainer tiny-gpt gpu vs cpu]', results, error);
  console.log(`=== gpu trainer tiny-gpt gpu vs cpu: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

// ---- 2. headless Chromium: WebGL2 and WebGPU through SwiftShader ---------------------------------------------
const modes = ['webgl2', 'webgpu'].filter(want);
if (modes.length > 0) {
  const t0 = Date.now();
  const req = createRequire(join(pkg, 'package.json'));
  const dir = mkdtempSync(join(tmpdir(), 'tsformer-gpu-page-'));
  let browser = null;
  let server = null;
  try {
    req('esbuild').buildSync({
      entryPoints: [join(pkg, 'test/browser/page.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      outfile: join(dir, 'page.js'),
      external: ['node:*'],
      conditions: ['@tsformer/source'],
      logLevel: 'warning',
    });
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><meta charset="utf-8"><title>tsformer gpu checks</title><script type="module" src="page.js"></script>',
    );
    server = createServer((q, s) => {
      const name = new URL(q.url, 'http://x').pathname === '/page.js' ? 'page.js' : 'index.html';
      s.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html' });
      s.end(readFileSync(join(dir, name)));
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    const port = server.address().port;
    const { chromium } = req('playwright-core');
    browser = await chromium.launch({
      executablePath: process.env.TSFORMER_CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // playwright launches with a fresh temporary --user-data-dir of its own
        '--enable-unsafe-webgpu',
        '--enable-features=Vulkan',
        '--use-webgpu-adapter=swiftshader',
        '--enable-unsafe-swiftshader',
        '--use-angle=swiftshader',
      ],
    });
    for (const mode of modes) {
      const t1 = Date.now();
      const page = await browser.newPage();
      const logs = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(String(e)));
      let res = null;
      try {
        await page.goto(`http://127.0.0.1:${port}/?mode=${mode}`);
        await page.waitForFunction(() => window.__tsformerResults !== undefined, null, { timeout: 300_000 });
        res = await page.evaluate(() => window.__tsformerResults);
      } catch (e) {
        res = { mode, results: [], error: `${e.message}\n${logs.slice(-5).join('\n')}` };
      }
      await page.close();
      if (res.mode !== mode && !res.error) res.error = `the page ran ${res.mode}, not ${mode}`;
      report(`gpu-${mode}.json`, `[${mode}]`, res.results, res.error);
      const n = res.results.filter((r) => r.ok).length;
      console.log(
        `=== gpu ${mode}: ${n}/${res.results.length} checks passed in ${((Date.now() - t1) / 1000).toFixed(0)} s${res.error ? ` (${res.error.split('\n')[0]})` : ''}`,
      );
      for (const r of res.results)
        console.log(`  ${r.ok ? '✓' : '×'} ${r.name} (${r.ms} ms)${r.ok ? '' : `: ${r.message}`}`);
    }
  } catch (e) {
    const msg = `browser suite could not start: ${e.message}`;
    if (ci) report('gpu-browser.json', '[browser]', [], msg);
    else console.log(`=== ${msg} (skipped; with CI=true this fails)`);
  } finally {
    await browser?.close();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`=== gpu browser suites: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

// ---- 3. Node: gpu.js WebGPU through the `webgpu` package (Dawn) ----------------------------------------------
// Dawn drives Vulkan; with no GPU, Chromium's SwiftShader Vulkan driver gives it an adapter on the CPU.
if (want('node-webgpu')) {
  const t0 = Date.now();
  const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
  const env = { ...process.env };
  if (!env.VK_ICD_FILENAMES && existsSync(icd)) env.VK_ICD_FILENAMES = icd;
  const r = spawnSync('pnpm', ['exec', 'tsx', '--conditions=@tsformer/source', 'scripts/node-webgpu.ts'], {
    cwd: root,
    encoding: 'utf8',
    env,
    maxBuffer: 64 << 20,
  });
  let res = null;
  try {
    res = JSON.parse(r.stdout.trim().split('\n').at(-1));
  } catch {
    res = { results: [], error: `no result (exit ${r.status}): ${r.stderr.slice(-2000)}` };
  }
  if (res.error && res.results.length === 0 && !ci) {
    console.log(`=== gpu node-webgpu: skipped (${res.error.split('\n')[0]}); with CI=true this fails`);
  } else {
    report('gpu-node-webgpu.json', '[node webgpu]', res.results, res.error);
    const n = res.results.filter((x) => x.ok).length;
    console.log(
      `=== gpu node-webgpu (${res.adapter || 'no adapter'}): ${n}/${res.results.length} checks passed in ${((Date.now() - t0) / 1000).toFixed(0)} s${res.error ? ` (${res.error.split('\n')[0]})` : ''}`,
    );
    for (const x of res.results)
      console.log(`  ${x.ok ? '✓' : '×'} ${x.name} (${x.ms} ms)${x.ok ? '' : `: ${x.message}`}`);
    // the trainer with --device webgpu: asynchronous reads for the step, the evaluations, the checkpoint and the
    // final report; GPT and BERT against their CPU runs
    if (res.adapter) {
      for (const preset of ['tiny-gpt', 'tiny-bert']) {
        const t1 = Date.now();
        const run = trainerVsCpu(preset, 'webgpu', [], env);
        report(
          `gpu-trainer-webgpu-${preset}.json`,
          `[node webgpu trainer ${preset} vs cpu]`,
          run.results,
          run.error,
        );
        console.log(
          `=== gpu trainer ${preset} --device webgpu vs cpu: ${((Date.now() - t1) / 1000).toFixed(0)} s`,
        );
      }
    }
  }
}

if (failures.length > 0) {
  console.log('\nFailed:');
  for (const f of failures) console.log(`  - ${f}`);
}
console.log(`\ngpu suites took ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
for (const d of cpuRuns.values()) rmSync(d, { recursive: true, force: true });
process.exit(failed > 0 ? 1 : 0);
