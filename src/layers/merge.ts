// Merge layers: combine a list of inputs of one shape (add, subtract, multiply, average, maximum,
// minimum), or join them along an axis (concatenate). Residual connections are add([x, block(x)]).
import { fmtShape, invalid, shapeError } from '../errors.js';
import { add, maximum, minimum, mul, scale, sub } from '../ops/elementwise.js';
import { concat } from '../ops/shape.js';
import type { Tensor } from '../tensor.js';
import { Layer, type LayerConfig, type Shapes, type WeightSpec } from './layer.js';

abstract class Merge extends Layer {
  override get takesList(): boolean {
    return true;
  }

  /** The fewest inputs the layer takes. */
  protected minInputs(): number {
    return 2;
  }

  protected checkList(shapes: readonly (readonly number[])[] | readonly number[]): readonly (readonly number[])[] {
    if (!Array.isArray(shapes[0]) || shapes.length < this.minInputs()) {
      throw invalid(`${this.name}: ${this.className} takes a list of at least ${this.minInputs()} inputs`);
    }
    return shapes as readonly (readonly number[])[];
  }

  protected options(): Record<string, unknown> {
    return {};
  }
}

// Elementwise merges: every input has the same shape, and so has the output.
abstract class Elementwise extends Merge {
  build(inputShape: readonly (readonly number[])[]): { outputShape: Shapes; weights: WeightSpec[] } {
    const shapes = this.checkList(inputShape);
    const first = shapes[0]!;
    shapes.forEach((s, i) => {
      if (s.length !== first.length || s.some((d, j) => d !== first[j])) {
        throw shapeError(`${this.name}: ${this.className} needs inputs of one shape; input 0 is ${fmtShape(first)} and input ${i} is ${fmtShape(s)}`);
      }
    });
    return { outputShape: first.slice(), weights: [] };
  }

  call(xs: Tensor[]): Tensor {
    return this.combine(xs);
  }

  protected abstract combine(xs: Tensor[]): Tensor;
}

/** Options of the merge layers (name only; concatenate also takes axis). */
export type MergeConfig = Omit<LayerConfig, 'inputShape'>;

const fold = (xs: Tensor[], f: (a: Tensor, b: Tensor) => Tensor) => xs.slice(1).reduce(f, xs[0]!);

/** The sum of its inputs (layers.add). */
export class Add extends Elementwise {
  readonly className = 'Add';
  constructor(config: MergeConfig = {}) {
    super(config, 'add');
  }
  protected combine(xs: Tensor[]): Tensor {
    return fold(xs, add);
  }
}

/** The first input minus the second (layers.subtract). */
export class Subtract extends Elementwise {
  readonly className = 'Subtract';
  constructor(config: MergeConfig = {}) {
    super(config, 'subtract');
  }
  protected override checkList(shapes: readonly (readonly number[])[] | readonly number[]) {
    const list = super.checkList(shapes);
    if (list.length !== 2) throw invalid(`${this.name}: Subtract takes exactly two inputs, got ${list.length}`);
    return list;
  }
  protected combine([a, b]: Tensor[]): Tensor {
    return sub(a!, b!);
  }
}

/** The elementwise product of its inputs (layers.multiply). */
export class Multiply extends Elementwise {
  readonly className = 'Multiply';
  constructor(config: MergeConfig = {}) {
    super(config, 'multiply');
  }
  protected combine(xs: Tensor[]): Tensor {
    return fold(xs, mul);
  }
}

/** The elementwise mean of its inputs (layers.average). */
export class Average extends Elementwise {
  readonly className = 'Average';
  constructor(config: MergeConfig = {}) {
    super(config, 'average');
  }
  protected combine(xs: Tensor[]): Tensor {
    return scale(fold(xs, add), 1 / xs.length);
  }
}

/** The elementwise maximum of its inputs (layers.maximum). */
export class Maximum extends Elementwise {
  readonly className = 'Maximum';
  constructor(config: MergeConfig = {}) {
    super(config, 'maximum');
  }
  protected combine(xs: Tensor[]): Tensor {
    return fold(xs, maximum);
  }
}

/** The elementwise minimum of its inputs (layers.minimum). */
export class Minimum extends Elementwise {
  readonly className = 'Minimum';
  constructor(config: MergeConfig = {}) {
    super(config, 'minimum');
  }
  protected combine(xs: Tensor[]): Tensor {
    return fold(xs, minimum);
  }
}

/** Options of layers.concatenate(). */
export interface ConcatenateConfig extends MergeConfig {
  /** The axis to join along, of the full tensor with its batch axis: -1 (default) is the last; 0 is refused. */
  axis?: number;
}

/** Its inputs joined along an axis (layers.concatenate). */
export class Concatenate extends Merge {
  readonly className = 'Concatenate';
  static override readonly options = ['axis'];
  readonly axis: number;
  constructor(config: ConcatenateConfig = {}) {
    super(config, 'concatenate');
    this.axis = config.axis ?? -1;
    if (!Number.isInteger(this.axis) || this.axis === 0) {
      throw invalid(`${this.name}: axis must be a nonzero integer (axis 0 is the batch axis), got ${JSON.stringify(config.axis)}`);
    }
  }

  // The axis within one sample (no batch axis).
  #sampleAxis(rank: number): number {
    const ax = this.axis < 0 ? rank + 1 + this.axis : this.axis;
    if (ax < 1 || ax > rank) throw invalid(`${this.name}: axis ${this.axis} is outside inputs of rank ${rank + 1} (with the batch axis)`);
    return ax - 1;
  }

  build(inputShape: readonly (readonly number[])[]): { outputShape: Shapes; weights: WeightSpec[] } {
    const shapes = this.checkList(inputShape);
    const first = shapes[0]!;
    const ax = this.#sampleAxis(first.length);
    shapes.forEach((s, i) => {
      if (s.length !== first.length || s.some((d, j) => j !== ax && d !== first[j])) {
        throw shapeError(`${this.name}: Concatenate needs inputs that match except along axis ${this.axis}; input 0 is ${fmtShape(first)} and input ${i} is ${fmtShape(s)}`);
      }
    });
    const out = first.slice();
    out[ax] = shapes.reduce((n, s) => n + s[ax]!, 0);
    return { outputShape: out, weights: [] };
  }

  call(xs: Tensor[]): Tensor {
    return concat(xs, this.#sampleAxis(xs[0]!.shape.length - 1) + 1);
  }

  protected override options(): Record<string, unknown> {
    return { axis: this.axis };
  }
}
