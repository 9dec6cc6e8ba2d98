/**
 * Parameter initialisers (torch.nn.init). Each fills a tensor in place without recording autograd
 * history and returns it. Random ones draw from libtorch's generator: seed with `manualSeed`.
 */
import { Tensor, noGrad } from '../torch/index.js';

/** fan_in and fan_out of a weight [out, in, ...kernel] (Linear: [out, in]). */
export function computeFans(t: Tensor): { fanIn: number; fanOut: number } {
  const s = t.shape;
  if (s.length < 2) throw new TypeError(`fan in/out need a tensor with at least 2 dimensions, got [${s.join(', ')}]`);
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: s[1]! * receptive, fanOut: s[0]! * receptive };
}

export type Nonlinearity = 'relu' | 'leaky_relu' | 'linear' | 'sigmoid' | 'tanh';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param = 0.01): number {
  switch (nonlinearity) {
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + param * param));
    case 'tanh':
      return 5 / 3;
    case 'linear':
    case 'sigmoid':
      return 1;
  }
}

export interface KaimingOptions {
  /** Leaky-ReLU negative slope (the `a` of PyTorch). */
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const { fanIn, fanOut } = computeFans(t);
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** He et al. 2015, normal: std = gain / sqrt(fan). mmaction2 uses mode 'fan_out', 'relu' for convs. */
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const std = kaimingStd(t, o);
  noGrad(() => t.normal_(0, std));
  return t;
}

/** He et al. 2015, uniform: bound = sqrt(3) * std. */
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, o);
  noGrad(() => t.uniform_(-bound, bound));
  return t;
}

export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = computeFans(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  noGrad(() => t.uniform_(-bound, bound));
  return t;
}

export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = computeFans(t);
  noGrad(() => t.normal_(0, gain * Math.sqrt(2 / (fanIn + fanOut))));
  return t;
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  noGrad(() => t.normal_(mean, std));
  return t;
}

export function uniform_(t: Tensor, from = 0, to = 1): Tensor {
  noGrad(() => t.uniform_(from, to));
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => t.fill_(value));
  return t;
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/**
 * PyTorch's default for Conv and Linear layers: weight kaiming-uniform with a = sqrt(5), bias uniform
 * in +-1/sqrt(fan_in). Used so that an un-initialised stad layer behaves like PyTorch's.
 */
export function defaultLayerInit_(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), nonlinearity: 'leaky_relu' });
  if (bias) {
    const { fanIn } = computeFans(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
