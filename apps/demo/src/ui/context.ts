import type { ModelWorker } from '../client.ts';

/** What every panel gets. */
export interface PanelContext {
  worker: ModelWorker;
  /** resolves when the shipped (or chosen) models are loaded */
  modelsReady: Promise<void>;
  /** resolves when the GPT is loaded (before the BERT, so generation can start first) */
  gptReady: Promise<void>;
  /** a line in the page's status bar (aria-live) */
  status(text: string): void;
}

/** Shows an error under a panel part instead of throwing it away. */
export function showError(target: HTMLElement, e: unknown): void {
  target.textContent = `⚠ ${(e as Error).message ?? String(e)}`;
  target.classList.add('error');
}
