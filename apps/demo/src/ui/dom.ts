// A few DOM helpers: no framework, just elements.
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  // the panels check their own numbers; a browser's validation would silently block a submit (step mismatch)
  if (el instanceof HTMLFormElement) el.noValidate = true;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v as EventListener);
    else if (k === 'text') el.textContent = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/** A labelled input: <label>text <input …></label>. */
export function field(label: string, input: HTMLElement, hint?: string): HTMLLabelElement {
  return h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', {}, hint) : null);
}

export function numberInput(
  id: string,
  value: number,
  min: number,
  max: number,
  step: number,
): HTMLInputElement {
  return h('input', { id, type: 'number', value, min, max, step, inputmode: 'decimal' });
}

export function num(input: HTMLInputElement): number {
  const v = Number(input.value);
  return Number.isFinite(v) ? v : Number(input.defaultValue);
}

/** Runs `fn` at most once per `ms` after the last call. */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

export function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A distinct, light background colour per token index (as tokenizer playgrounds do). */
export function tokenColour(i: number): string {
  return `hsl(${(i * 67) % 360} 80% 85%)`;
}

/** Shows a token's invisible characters. */
export function showToken(s: string): string {
  return s.replace(/ /g, '·').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}
