import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

// Threaded WebAssembly needs SharedArrayBuffer, which browsers give only to cross-origin isolated pages.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * `@tsformer/tensor/gpu` is imported dynamically by the worker. Where the build has no gpu backend (the export
 * or its source is missing), it resolves to a stub that says so, and the backend switch shows the reason.
 */
function optionalGpu(): Plugin {
  const stub = '\0tsformer-gpu-unavailable';
  return {
    name: 'tsformer-optional-gpu',
    enforce: 'pre',
    async resolveId(id, importer, options) {
      if (id !== '@tsformer/tensor/gpu') return null;
      const r = await this.resolve(id, importer, { ...options, skipSelf: true }).catch(() => null);
      if (r && !r.external && existsSync(r.id.split('?')[0]!)) return r;
      return stub;
    },
    load(id) {
      if (id === stub) return "export const unavailable = 'gpu.js backend not available in this build';";
      return null;
    },
  };
}

export default defineConfig({
  // relative asset URLs: the built site works from any folder of any static host
  base: './',
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['@tsformer/source', ...defaultClientConditions] },
  plugins: [optionalGpu()],
  worker: { format: 'es', plugins: () => [optionalGpu()] },
  server: { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000, sourcemap: true },
});
