#!/usr/bin/env node
// The release flow works from a clean checkout: clone HEAD into a temporary folder, install from the lockfile,
// apply the pending changesets (`changeset version`), build, and `pnpm -r publish --dry-run`. Every publishable
// package must come out versioned and packed. Exits non-zero (naming the step) otherwise.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'tsformer-release-'));
const run = (cmd, args, cwd = dir) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`.slice(0, 4000),
    );
  return r.stdout + r.stderr;
};
let ok = false;
try {
  run('git', ['clone', '--quiet', '--no-local', root, dir], root);
  run('pnpm', ['install', '--frozen-lockfile', '--prefer-offline', '--ignore-scripts']);
  const pending = readdirSync(join(dir, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  run('pnpm', ['changeset', 'version']);
  run('pnpm', ['-s', 'build']);
  const out = run('pnpm', ['-r', 'publish', '--dry-run', '--no-git-checks']);
  const publishable = readdirSync(join(dir, 'packages'))
    .map((d) => JSON.parse(readFileSync(join(dir, 'packages', d, 'package.json'), 'utf8')))
    .filter((m) => !m.private);
  const missing = publishable.filter((m) => !out.includes(`+ ${m.name}@${m.version}`));
  if (missing.length > 0)
    throw new Error(`not packed: ${missing.map((m) => `${m.name}@${m.version}`).join(', ')}`);
  console.log(
    `release dry run: ${pending.length} changesets applied; packed ${publishable.map((m) => `${m.name}@${m.version}`).join(', ')}`,
  );
  ok = true;
} catch (e) {
  console.error(`release dry run failed: ${e.message}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
