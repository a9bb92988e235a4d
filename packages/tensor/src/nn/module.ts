import { noGrad } from '../autograd.ts';
import { cast } from '../ops/cast.ts';
import { fmt, shapesEqual } from '../shape.ts';
import { Tensor } from '../tensor.ts';

const parameters = new WeakSet<Tensor>();

/** Marks `t` as a trainable parameter (requiresGrad on) of whatever module holds it. */
export function parameter(t: Tensor): Tensor {
  parameters.add(t);
  return t.requiresGrad_();
}

export function isParameter(t: unknown): t is Tensor {
  return t instanceof Tensor && parameters.has(t);
}

/**
 * The base of every layer and model. Parameters and sub-modules are found by walking own properties in
 * declaration order, so names are property paths — `transformer.h.0.attn.c_attn.weight` — equal to the
 * Hugging Face checkpoint keys when properties are named like the PyTorch modules. Arrays of modules are
 * numbered (`h.0`, `h.1`, …), like nn.ModuleList. Properties starting with `_` are skipped.
 */
export abstract class Module {
  training = true;

  private *children(): Generator<[string, unknown]> {
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith('_') || key === 'training') continue;
      yield [key, value];
    }
  }

  /** Every (name, parameter), each tensor once (the first name of a tied weight). */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    return this.allNamedParameters().filter(([, t]) => {
      if (seen.has(t)) return false;
      seen.add(t);
      return true;
    });
  }

  /** Every (name, parameter), tied weights under each of their names (what torch's state_dict lists). */
  allNamedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const visit = (name: string, value: unknown): void => {
      if (isParameter(value)) out.push([name, value]);
      else if (value instanceof Module) out.push(...value.allNamedParameters(`${name}.`));
      else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          if (value[i] instanceof Module) visit(`${name}.${i}`, value[i]);
      }
    };
    for (const [key, value] of this.children()) visit(`${prefix}${key}`, value);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** The number of distinct parameter elements (tied weights counted once). */
  numParameters(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  /** Direct and nested sub-modules with their names. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of this.children()) {
      const mods =
        value instanceof Module
          ? [[key, value] as const]
          : Array.isArray(value)
            ? value.map((v, i) => [`${key}.${i}`, v] as const)
            : [];
      for (const [name, m] of mods) {
        if (!(m instanceof Module)) continue;
        out.push([`${prefix}${name}`, m], ...m.namedModules(`${prefix}${name}.`));
      }
    }
    return out;
  }

  /** name → tensor for every parameter name (tied weights appear under each name). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.allNamedParameters());
  }

  /**
   * Copies values into the parameters by name. With `strict` (default) a missing or unexpected name throws;
   * a wrong shape always throws, naming the tensor. int tensors are cast to float32.
   */
  loadStateDict(
    state: Record<string, Tensor>,
    options: { strict?: boolean } = {},
  ): { missing: string[]; unexpected: string[] } {
    const strict = options.strict ?? true;
    const own = this.allNamedParameters();
    const names = new Set(own.map(([n]) => n));
    const missing = own.map(([n]) => n).filter((n) => !(n in state));
    const unexpected = Object.keys(state).filter((n) => !names.has(n));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      throw new Error(
        `loadStateDict: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected ${unexpected.join(', ')}` : ''}`,
      );
    }
    noGrad(() => {
      for (const [name, p] of own) {
        const v = state[name];
        if (v === undefined) continue;
        if (!shapesEqual(v.shape, p.shape)) {
          throw new Error(
            `loadStateDict: ${name} has shape ${fmt(v.shape)} but the model expects ${fmt(p.shape)}`,
          );
        }
        const value = v.dtype === p.dtype ? v : cast(v, p.dtype);
        if (value.backend !== p.backend) throw new Error(`loadStateDict: ${name} lives on another backend`);
        // the parameter shares the storage (one more reference); the caller still owns `v`
        p.assign(value);
        if (value !== v) value.dispose();
      }
    });
    return { missing, unexpected };
  }

  /** Sets training mode here and in every sub-module (dropout is active only in training). */
  train(on = true): this {
    this.training = on;
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
}
