// The page's side of the worker protocol: call(request, onEvent) → a promise and a cancel().
import type { ActiveBackend, FromWorker, Request, ToWorker, WorkerEvent } from './protocol.ts';

export interface Call<T> {
  result: Promise<T>;
  cancel(): void;
}

export class ModelWorker {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void; onEvent?: (e: WorkerEvent) => void }
  >();
  onStatus: (text: string, backend?: ActiveBackend) => void = () => {};

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'models' });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.kind === 'status') {
        this.onStatus(m.text, m.backend);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.kind === 'event') p.onEvent?.(m.event);
      else {
        this.pending.delete(m.id);
        if (m.kind === 'done') p.resolve(m.result);
        else p.reject(new Error(m.message));
      }
    };
    this.worker.onerror = (e) => {
      const err = new Error(`the model worker failed: ${e.message}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.onStatus(err.message);
    };
  }

  /** whether any request is still running or queued */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  call<T>(request: Request, onEvent?: (e: WorkerEvent) => void): Call<T> {
    const id = this.next++;
    const result = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent });
    });
    this.worker.postMessage({ id, request } satisfies ToWorker);
    return { result, cancel: () => this.worker.postMessage({ id, cancel: true } satisfies ToWorker) };
  }
}
