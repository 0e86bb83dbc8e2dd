import { tf } from '@deitjs/core';
import { expect } from 'vitest';
import type { Matrix } from './fp64.js';

/** A float32 matrix tensor from plain numbers. */
export function mat(m: Matrix): tf.Tensor2D {
  return tf.tensor2d(m, [m.length, m[0].length], 'float32');
}

/** Int32 labels tensor. */
export function labelsOf(labels: number[]): tf.Tensor1D {
  return tf.tensor1d(labels, 'int32');
}

/** The values of a tensor as a plain matrix (the float32 values the TF.js code actually saw). */
export function valuesOf(t: tf.Tensor): Matrix {
  return t.arraySync() as Matrix;
}

/** Largest |a − b| over two equally shaped matrices. */
export function maxAbsDiffM(a: Matrix, b: Matrix): number {
  let m = 0;
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      m = Math.max(m, Math.abs(v - b[i][j]));
    });
  });
  return m;
}

/** Largest |x| of a matrix. */
export function maxAbs(a: Matrix): number {
  return Math.max(...a.flat().map(Math.abs));
}

/**
 * Compares a TF.js gradient with a float64 central-difference gradient: the error must be within 1e-4 of the
 * gradient's own scale (float32 round-off in a loss of O(1) is ~1e-7). Prints the measured error.
 */
export function expectGradClose(label: string, actual: tf.Tensor, expected: Matrix): void {
  const got = valuesOf(actual);
  const err = maxAbsDiffM(got, expected);
  const scale = maxAbs(expected);
  console.log(`${label}: grad max abs err ${err.toExponential(2)} (grad scale ${scale.toExponential(2)})`);
  expect(scale).toBeGreaterThan(0);
  expect(err).toBeLessThanOrEqual(1e-4 * scale + 1e-8);
}

/** Relative error |a − b| / |b|. */
export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

/** `tf.grad` for a function of a typed tensor (tf.grad's own signature only takes `Tensor`). */
export function gradOf<T extends tf.Tensor>(f: (x: T) => tf.Tensor): (x: T) => T {
  return tf.grad(f as (x: tf.Tensor) => tf.Tensor) as unknown as (x: T) => T;
}

/** `tf.grads` for a function of typed tensors. */
export function gradsOf<T extends tf.Tensor>(f: (...xs: T[]) => tf.Tensor): (xs: T[]) => T[] {
  return tf.grads(f as (...xs: tf.Tensor[]) => tf.Tensor) as unknown as (xs: T[]) => T[];
}

/** `tf.valueAndGrad` for a function of a typed tensor. */
export function valueAndGradOf<T extends tf.Tensor>(f: (x: T) => tf.Scalar): (x: T) => { value: tf.Scalar; grad: T } {
  return tf.valueAndGrad(f as (x: tf.Tensor) => tf.Scalar) as unknown as (x: T) => { value: tf.Scalar; grad: T };
}
