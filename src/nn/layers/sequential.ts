/** A chain of one-tensor modules, named "0", "1", ... as in PyTorch. */
import { Tensor } from '../../torch/index.js';
import { Module, type TensorModule } from '../module.js';

export class Sequential extends Module {
  private readonly layers: TensorModule[] = [];

  constructor(...layers: TensorModule[]) {
    super();
    layers.forEach((l) => this.append(l));
  }

  append(layer: TensorModule): this {
    this.registerModule(String(this.layers.length), layer);
    this.layers.push(layer);
    return this;
  }

  get length(): number {
    return this.layers.length;
  }

  at(i: number): TensorModule {
    const l = this.layers[i < 0 ? this.layers.length + i : i];
    if (!l) throw new RangeError(`no layer ${i} in a Sequential of ${this.layers.length}`);
    return l;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const l of this.layers) y = l.forward(y);
    return y;
  }
}
