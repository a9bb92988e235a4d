// The gpu.js backend, imported on demand (a separate chunk). Plain JS so that the app's typecheck does not walk
// into the backend's sources; gpu-import.d.ts gives its type. vite.config.ts turns it into a stub that says
// "gpu.js backend not available in this build" where the export does not exist.
export const importGpu = () => import('@tsformer/tensor/gpu');
