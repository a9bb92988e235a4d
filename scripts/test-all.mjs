#!/usr/bin/env node
// Every suite these machines can run, in one command: lint, typecheck, build, the quick vitest suites, the slow
// ones (SLOW=1), and the packed-package check. Ends with one line `N passed, N failed`, counting each vitest
// test and each check. Exits non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = join(root, '.test-results');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function step(name, cmd, args, env = {}) {
  const started = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  console.log(`=== ${name}: exit ${r.status} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return r.status === 0;
}

function check(name, cmd, args) {
  if (step(name, cmd, args)) passed++;
  else {
    failed++;
    failures.push(name);
  }
}

function vitest(name, file, env = {}) {
  const ok = step(
    name,
    'pnpm',
    [
      'exec',
      'vitest',
      'run',
      '--passWithNoTests',
      '--reporter=default',
      '--reporter=json',
      `--outputFile=${file}`,
    ],
    env,
  );
  if (!existsSync(file)) {
    failed++;
    failures.push(`${name} (no report)`);
    return;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  for (const suite of report.testResults) {
    for (const t of suite.assertionResults)
      if (t.status === 'failed') failures.push(`${name}: ${t.fullName}`);
    if (suite.status === 'failed' && suite.assertionResults.length === 0) {
      failed++;
      failures.push(`${name}: ${suite.name} (${suite.message?.split('\n')[0]})`);
    }
  }
  if (!ok && report.numFailedTests === 0 && report.numFailedTestSuites === 0) {
    failed++;
    failures.push(`${name} exited non-zero`);
  }
}

// The gpu backend's suites (headless-gl under Xvfb, WebGL2 and WebGPU in headless Chromium): scripts/test-gpu.mjs
// writes vitest-shaped reports .test-results/gpu-*.json; each test in them counts here.
function gpu(name) {
  const ok = step(name, 'node', ['scripts/test-gpu.mjs']);
  const files = readdirSync(out).filter((f) => f.startsWith('gpu-') && f.endsWith('.json'));
  if (files.length === 0) {
    failed++;
    failures.push(`${name} (no report)`);
    return;
  }
  let bad = 0;
  for (const f of files) {
    const report = JSON.parse(readFileSync(join(out, f), 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    bad += report.numFailedTests;
    for (const suite of report.testResults)
      for (const t of suite.assertionResults)
        if (t.status === 'failed') failures.push(`${name}: ${t.fullName}`);
  }
  if (!ok && bad === 0) {
    failed++;
    failures.push(`${name} exited non-zero`);
  }
}

// The demo's end-to-end suite in headless Chromium (apps/demo/test/e2e.ts): it writes a vitest-shaped report
// .test-results/demo.json; each check in it counts here (a skip without chromium counts as skipped, CI=true fails).
function demo(name) {
  const file = join(out, 'demo.json');
  const ok = step(name, 'pnpm', ['--filter', '@tsformer/demo', 'e2e']);
  if (!existsSync(file)) {
    failed++;
    failures.push(`${name} (no report)`);
    return;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests;
  for (const suite of report.testResults)
    for (const t of suite.assertionResults)
      if (t.status === 'failed') failures.push(`${name}: ${t.fullName}`);
  if (!ok && report.numFailedTests === 0) {
    failed++;
    failures.push(`${name} exited non-zero`);
  }
}

check('lint', 'pnpm', ['-s', 'lint']);
check('typecheck', 'pnpm', ['-s', 'typecheck']);
check('build', 'pnpm', ['-s', 'build']);
vitest('tests', join(out, 'quick.json'));
vitest('slow tests', join(out, 'slow.json'), { SLOW: '1' });
check('packed packages', 'node', ['scripts/check-packed.mjs']);
check('release dry run', 'node', ['scripts/check-release.mjs']);
check('trainer checkpoints pass hf-check.py', 'node', ['scripts/check-hf.mjs']);
gpu('gpu suites');
demo('demo e2e');

if (failures.length > 0) {
  console.log('\nFailed:');
  for (const f of failures) console.log(`  - ${f}`);
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
