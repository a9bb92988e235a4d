// Shared by the e2e tests and the bench: find Debian's chromium, launch it headless with a fresh profile through
// playwright-core (never a downloaded browser), and serve the built site with COOP/COEP.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
// @ts-expect-error: a plain .mjs helper without types
import { serve } from '../scripts/serve.mjs';

export const app: string = resolve(import.meta.dirname, '..');
export const root: string = resolve(app, '../..');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The chromium binary, or null with the reason. */
export function findChromium(): { path: string | null; reason: string } {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen)
    return existsSync(chosen)
      ? { path: chosen, reason: '' }
      : { path: null, reason: `CHROMIUM_PATH=${chosen} does not exist` };
  for (const c of CANDIDATES) if (c && existsSync(c)) return { path: c, reason: '' };
  return {
    path: null,
    reason:
      'chromium is not installed (apt-get install -y chromium, or scripts/setup-gpu.sh); set CHROMIUM_PATH to use another',
  };
}

export async function launch(path: string): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'tsformer-demo-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: path,
    headless: true,
    viewport: { width: 1180, height: 900 },
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // WebGPU needs the page on 127.0.0.1 (a secure context) and, headless on Linux, Vulkan
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
      // WebGL and WebGPU on the CPU (SwiftShader) where there is no GPU; TSFORMER_REAL_GPU=1 uses the machine's
      ...(process.env.TSFORMER_REAL_GPU === '1'
        ? []
        : ['--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader']),
    ],
  });
  // tsx (esbuild keepNames) wraps named functions in __name(); functions passed to page.evaluate need it too
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Builds the site (a few seconds), unless SKIP_BUILD=1 and dist/ exists. */
export function ensureBuilt(): void {
  if (process.env.SKIP_BUILD === '1' && existsSync(join(app, 'dist/index.html'))) return;
  const r = spawnSync('pnpm', ['run', 'build'], { cwd: app, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the demo build failed');
}

export async function serveDist(isolation = true): Promise<{ url: string; close(): Promise<void> }> {
  return serve(join(app, 'dist'), { isolation });
}
