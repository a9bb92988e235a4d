export const SOURCE: string;
export const OUTPUT: string;
export function renderKernelsWasmModule(): Promise<string>;
