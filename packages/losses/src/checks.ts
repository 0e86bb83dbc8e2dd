import { ConfigError, ShapeError, tf } from '@deitjs/core';

/** Integer class labels `[batch]` or per-class targets `[batch, classes]`: what every base loss accepts. */
export type Targets = tf.Tensor1D | tf.Tensor2D;

function shapeText(t: tf.Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/** Checks that `logits` is a non-empty float32 `[batch, classes]` tensor and returns its two sizes. */
export function checkLogits(logits: tf.Tensor, argument: string): [batch: number, classes: number] {
  if (logits.rank !== 2) throw new ShapeError(argument, `expected logits [batch, classes], got shape ${shapeText(logits)}`);
  if (logits.dtype !== 'float32') throw new ShapeError(argument, `expected float32 logits, got ${logits.dtype}`);
  const [batch, classes] = logits.shape as [number, number];
  if (batch === 0 || classes === 0) throw new ShapeError(argument, `empty logits ${shapeText(logits)}`);
  return [batch, classes];
}

/** Checks that two logits tensors have the same `[batch, classes]` shape (student vs teacher heads). */
export function checkSameShape(a: tf.Tensor, aName: string, b: tf.Tensor, bName: string): void {
  checkLogits(a, aName);
  checkLogits(b, bName);
  if (a.shape[0] !== b.shape[0]) throw new ShapeError(bName, `batch size ${b.shape[0]} does not match ${aName}'s ${a.shape[0]}`);
  if (a.shape[1] !== b.shape[1]) throw new ShapeError(bName, `${b.shape[1]} classes do not match ${aName}'s ${a.shape[1]}`);
}

/**
 * Checks integer labels against `[batch]` and `[0, classes)`. The range check reads the labels back: labels are
 * small and usually come from host memory, and an out-of-range label would otherwise silently give a zero one-hot row.
 */
export function checkLabels(labels: tf.Tensor, argument: string, batch: number, classes: number): void {
  if (labels.dtype !== 'int32') throw new ShapeError(argument, `integer labels must be int32, got ${labels.dtype}`);
  if (labels.shape[0] !== batch) throw new ShapeError(argument, `${labels.shape[0]} labels for a batch of ${batch}`);
  const values = labels.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0 || v >= classes) throw new ShapeError(argument, `label ${v} at index ${i} is outside [0, ${classes})`);
  }
}

/**
 * Turns targets into a float32 `[batch, classes]` distribution: int32 labels become one-hot rows (after the checks
 * above), per-class targets are checked for shape and passed through.
 */
export function targetMatrix(targets: Targets, argument: string, batch: number, classes: number): tf.Tensor2D {
  if (targets.rank === 1) {
    checkLabels(targets, argument, batch, classes);
    return oneHotFloat(targets as tf.Tensor1D, classes);
  }
  if (targets.rank !== 2) {
    throw new ShapeError(argument, `expected int32 labels [${batch}] or targets [${batch}, ${classes}], got shape ${shapeText(targets)}`);
  }
  if (targets.dtype !== 'float32') throw new ShapeError(argument, `per-class targets must be float32, got ${targets.dtype}`);
  if (targets.shape[0] !== batch) throw new ShapeError(argument, `batch size ${targets.shape[0]} does not match the logits' ${batch}`);
  if (targets.shape[1] !== classes) throw new ShapeError(argument, `${targets.shape[1]} classes do not match the logits' ${classes}`);
  return targets as tf.Tensor2D;
}

/**
 * Float32 one-hot rows of int32 labels. The wasm OneHot kernel (tfjs 4.22) ignores its dtype attribute and writes
 * int32 bits into a float32 tensor, so the int32 result is cast instead of asking for float32 directly.
 */
export function oneHotFloat(labels: tf.Tensor1D, classes: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D);
}

/** Checks that `value` is a finite number in the given range; `open` bounds exclude the end point. */
export function checkRange(
  option: string,
  value: number,
  min: number,
  max: number,
  { minOpen = false, maxOpen = false }: { minOpen?: boolean; maxOpen?: boolean } = {},
): void {
  const tooLow = minOpen ? value <= min : value < min;
  const tooHigh = maxOpen ? value >= max : value > max;
  if (typeof value !== 'number' || Number.isNaN(value) || tooLow || tooHigh) {
    const range = `${minOpen ? '(' : '['}${min}, ${max === Number.POSITIVE_INFINITY ? '∞' : max}${maxOpen ? ')' : ']'}`;
    throw new ConfigError(option, `${value} is outside ${range}`);
  }
}
