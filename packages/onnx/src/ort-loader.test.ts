import { DeitError } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { OrtClassifier } from './ort-classifier.js';
import { ORT_PACKAGE, OrtUnavailableError, loadOrt } from './ort-loader.js';

describe('loading onnxruntime lazily', () => {
  it('loads the installed onnxruntime-node once and returns the same module', async () => {
    const a = await loadOrt();
    const b = await loadOrt();
    expect(a).toBe(b);
    expect(typeof a.InferenceSession.create).toBe('function');
    expect(ORT_PACKAGE).toBe('onnxruntime-node');
  });

  it('a package that is not installed: OrtUnavailableError naming it and how to install it (real import)', async () => {
    const missing = 'onnxruntime-node-not-installed';
    const err = await loadOrt({ packageName: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrtUnavailableError);
    expect(err).toBeInstanceOf(DeitError);
    const e = err as OrtUnavailableError;
    expect(e.code).toBe('E_ORT_UNAVAILABLE');
    expect(e.packageName).toBe(missing);
    expect(e.message).toBe(
      `${missing} is not installed: running models on ONNX Runtime needs it (an optional peer dependency of @deitjs/onnx): npm install ${missing}`,
    );
    expect((e.cause as { code?: string }).code).toMatch(/MODULE_NOT_FOUND/);
  });

  it('OrtClassifier.create surfaces the same error before touching the model', async () => {
    const err = await OrtClassifier.create('/nonexistent/model.onnx', { loader: { packageName: 'onnxruntime-node-not-installed' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrtUnavailableError);
    expect((err as Error).message).toMatch(/^onnxruntime-node-not-installed is not installed/);
  });

  it('a package that fails to load, or is not onnxruntime, is an OrtUnavailableError with the cause', async () => {
    const broken = await loadOrt({
      importer: () => Promise.reject(new Error('libonnxruntime.so.1: cannot open shared object file')),
    }).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(OrtUnavailableError);
    expect((broken as Error).message).toBe('onnxruntime-node could not be loaded: libonnxruntime.so.1: cannot open shared object file');
    const other = await loadOrt({ packageName: 'node:path', importer: (s) => import(s) }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(OrtUnavailableError);
    expect((other as Error).message).toMatch(/node:path was imported but has no InferenceSession/);
  });

  it('a bad thread count is a ConfigError naming the option', async () => {
    await expect(OrtClassifier.create(new Uint8Array(0), { intraOpThreads: -1 })).rejects.toThrow(/^intraOpThreads: must be a non-negative integer/);
  });
});
