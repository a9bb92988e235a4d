export declare const SOURCE: string;
export declare const OUTPUT: string;
/** Returns the text of generated/gemm-wasm.ts for the current assembly sources. */
export declare function renderGemmWasmModule(): Promise<string>;
