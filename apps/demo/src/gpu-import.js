// The gpu.js backend, imported on demand (a separate chunk, loaded only when a GPU backend is probed or chosen).
// Plain JS with a .d.ts, so the app typechecks whether or not the export exists in this build; where it does not,
// vite.config.ts resolves it to a stub that says "gpu.js backend not available in this build".
export const importGpu = () => import('@tsformer/tensor/gpu');
