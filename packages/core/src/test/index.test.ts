import { describe, expect, it } from 'vitest';
import { tf } from '../index.js';
import { TEST_BACKENDS, describeOnBackends } from './index.js';

const ran: string[] = [];

describeOnBackends('describeOnBackends', (backend) => {
  it('runs the suite with its backend initialised', () => {
    expect(tf.getBackend()).toBe(backend);
    ran.push(backend);
  });
});

describe('TEST_BACKENDS', () => {
  it('is cpu then wasm, and describeOnBackends ran one suite for each, in that order', () => {
    expect(TEST_BACKENDS).toEqual(['cpu', 'wasm']);
    expect(ran).toEqual(['cpu', 'wasm']);
  });
});
