export declare const SOURCES: string[];
export declare const OUTPUT: string;
/** Returns the text of generated/engine-wasm.ts for the current assembly sources. */
export declare function renderEngineWasmModule(): Promise<string>;
