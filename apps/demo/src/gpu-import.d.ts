export declare const importGpu: () => Promise<unknown>;
