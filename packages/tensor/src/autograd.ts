import type { Tensor } from './tensor.ts';

/** How an op's output was made: its inputs and a backward that maps the output's gradient to theirs. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Returns one gradient per input (null where the input needs none), each of that input's shape. */
  backward(grad: Tensor): readonly (Tensor | null)[];
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording a graph (inference, optimizer updates), like torch.no_grad. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Tensors reachable from `root` through graph nodes, inputs before outputs (micrograd's topological walk). */
export function topoSort(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // iterative DFS: deep graphs (long training graphs) must not overflow the stack
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t._node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const next = inputs[i]!;
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
