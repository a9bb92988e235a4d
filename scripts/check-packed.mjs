#!/usr/bin/env node
// Installing a single package is a first-class use: pack every publishable package (pnpm rewrites
// `workspace:^` to real versions), install the tarballs with plain npm into an empty folder outside the
// workspace, and run the first ```js block of each package README there, as a new user would.
// Prints one line per package and, with --json FILE, writes { passed, failed, results } to FILE.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : null;

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir: join(root, 'packages', dir),
    manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter((p) => !p.manifest.private)
  .filter(
    (p) =>
      !process.env.TSFORMER_CHECK_PACKAGES ||
      process.env.TSFORMER_CHECK_PACKAGES.split(',').includes(p.manifest.name),
  );

const work = mkdtempSync(join(tmpdir(), 'tsformer-packed-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const results = [];
const record = (name, ok, detail = '') => {
  results.push({ name, ok, detail });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
};

try {
  for (const p of packages) {
    if (!readdirSync(p.dir).includes('dist'))
      throw new Error(`${p.manifest.name} is not built: run pnpm build first`);
    execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: p.dir, stdio: 'pipe' });
  }
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'packed-check', private: true, type: 'module' }),
  );
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  // every tarball at once, so that internal dependencies resolve to the packed versions, not the registry
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...files], {
    cwd: app,
    encoding: 'utf8',
  });
  if (install.status !== 0) throw new Error(`npm install of the tarballs failed:\n${install.stderr}`);
  record('npm install of every packed package', true, `${files.length} tarballs`);

  for (const p of packages) {
    const name = p.manifest.name;
    const readmePath = join(p.dir, 'README.md');
    const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
    const block = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!block) {
      record(`${name} README example`, false, 'no ```js block in README.md');
      continue;
    }
    const file = join(app, `${name.replace('@tsformer/', '')}-example.mjs`);
    writeFileSync(file, block);
    const run = spawnSync(process.execPath, [file], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    if (run.status === 0) record(`${name} README example`, true);
    else
      record(
        `${name} README example`,
        false,
        `exit ${run.status}\n${run.stdout}\n${run.stderr}`.slice(0, 2000),
      );
  }
} catch (e) {
  record('pack and install', false, e.message);
} finally {
  rmSync(work, { recursive: true, force: true });
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ passed, failed, results }, null, 2));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
