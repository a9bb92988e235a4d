// WebGPU in Node: gpu.js's 'webgpu' mode needs `navigator.gpu`, which browsers have and Node does not. The optional
// `webgpu` package (Dawn's Node bindings, https://github.com/dawn-gpu/node-webgpu) provides one.

/** Where Debian's chromium keeps its SwiftShader Vulkan driver: a WebGPU adapter on the CPU, for tests. */
export const CHROMIUM_SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface NodeWebGpuOptions {
  /** Dawn's options, e.g. ['backend=vulkan'] or ['enable-dawn-features=allow_unsafe_apis'] */
  flags?: string[];
}

/**
 * Gives this Node process a `navigator.gpu` from the optional `webgpu` package (`pnpm add webgpu@0.6.2`), with the
 * WebGPU globals (GPUBufferUsage, …) gpu.js uses, and checks that an adapter answers. Then
 * `createGpuBackend({ mode: 'webgpu' })` works in Node. Resolves to the adapter's description; rejects with the
 * reason when the package is missing or no adapter answers. Dawn drives the GPU through Vulkan on Linux: it needs
 * the Vulkan loader (Debian `libvulkan1`) and a driver; `VK_ICD_FILENAMES` can pick one, e.g. Chromium's
 * SwiftShader (`CHROMIUM_SWIFTSHADER_ICD`, the CPU: for tests only). Does nothing in a browser that has WebGPU.
 */
export async function installNodeWebGpu(options: NodeWebGpuOptions = {}): Promise<string> {
  const g = globalThis as { navigator?: { gpu?: GpuLike } };
  if (!g.navigator?.gpu) {
    let mod: { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
    try {
      const name = 'webgpu'; // a variable, so that bundlers leave this Node-only import alone
      mod = await import(/* @vite-ignore */ name);
    } catch (e) {
      throw new Error(
        `gpu backend: Node has no navigator.gpu and the optional \`webgpu\` package did not load (${(e as Error).message.split('\n')[0]}); install it with \`pnpm add webgpu@0.6.2\``,
      );
    }
    const gpu = mod.create(options.flags ?? []);
    Object.assign(globalThis, mod.globals);
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  const adapter = await g.navigator!.gpu!.requestAdapter();
  if (!adapter) {
    const icd = typeof process !== 'undefined' ? process.env.VK_ICD_FILENAMES : undefined;
    throw new Error(
      `gpu backend: navigator.gpu exists but no WebGPU adapter answered (Dawn uses Vulkan on Linux: it needs libvulkan1 and a Vulkan driver${icd ? `; VK_ICD_FILENAMES=${icd}` : `; VK_ICD_FILENAMES=${CHROMIUM_SWIFTSHADER_ICD} uses Chromium's SwiftShader, on the CPU`})`,
    );
  }
  const info = adapter.info ?? {};
  return (
    [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'adapter'
  );
}

interface GpuLike {
  requestAdapter(): Promise<{ info?: Record<string, string> } | null>;
}
