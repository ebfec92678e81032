// A replayed training step. For a small network (the playground's: a few units, batches of ten) the
// host's work in a step — making tensors, walking the graph, sorting it for backward — costs more
// than its kernels. So the training engine traces the first step on a batch shape (src/trace.ts):
// an eager step whose tensors are kept, with the kernel calls of its forward pass. A later step with
// the same shapes copies its batch into the kept input tensors and replays: the forward kernels in
// order, then backward along the kept order, the optimizer and the metrics as an eager step runs
// them — the same calls on the same values, so the same bits (test/plan.test.ts).
//
// A plan holds one step's tensors (and their gradients) in the arena between steps: memory()
// counts them, model.dispose(), compile() and new weights free them. Steps whose tensors would
// take more than MAX_BYTES are not kept: there the kernels dominate and replay gains nothing.
import type { Samples } from '../samples.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';

/** The most bytes a kept step's tensors and gradients may take. */
export const MAX_BYTES = 16 << 20;

/** What a step's forward pass gives: the total loss, each head's loss and prediction. */
export interface StepResult {
  total: Tensor;
  parts: Tensor[];
  preds: Tensor[];
}

export class StepPlan {
  readonly #calls: (() => void)[];
  readonly #tensors: Set<Tensor>;
  #disposed = false;

  constructor(
    /** The generator the traced pass drew from (a plan replays only with it), or null when it drew from none (any then). */
    readonly rng: Rng | null,
    /** The kept input and target tensors, one per input and output. */
    readonly xs: Tensor[],
    readonly ys: Tensor[],
    /** The kept loss and predictions. */
    readonly result: StepResult,
    /** backward() from the total loss along the kept order, or null when nothing trains. */
    readonly backward: (() => void) | null,
    calls: (() => void)[],
    tensors: Set<Tensor>,
  ) {
    this.#calls = calls;
    this.#tensors = tensors;
  }

  /** Bytes a step's tensors take, counting a gradient for each (what a plan would keep). */
  static bytes(tensors: Iterable<Tensor>): number {
    let n = 0;
    for (const t of tensors) n += t.size * 8;
    return n;
  }

  /** Whether a batch of n samples of X and Y, drawing from rng, has this plan's shapes. */
  fits(X: readonly Samples[], Y: readonly Samples[], n: number, rng: Rng): boolean {
    return !this.#disposed && (this.rng === null || rng === this.rng) && same(X, this.xs, n) && same(Y, this.ys, n);
  }

  /** Runs the kept forward kernels: every tensor of the pass recomputed from the current inputs and weights. */
  forward(): void {
    const calls = this.#calls;
    for (let i = 0; i < calls.length; i++) calls[i]!();
  }

  /** Frees the kept tensors. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of this.#tensors) t.dispose();
    this.#tensors.clear();
  }
}

// Whether samples S (n of them) match the kept tensors ts in number and shape.
function same(S: readonly Samples[], ts: readonly Tensor[], n: number): boolean {
  if (S.length !== ts.length) return false;
  for (let i = 0; i < S.length; i++) {
    const want = ts[i]!.shape, got = S[i]!.sampleShape;
    if (want[0] !== n || want.length !== got.length + 1) return false;
    for (let j = 0; j < got.length; j++) if (got[j] !== want[j + 1]) return false;
  }
  return true;
}
