import { DeitError, type Module, type StateDict, toFloat32, toTorchLayout, torchShapeOf } from '@deitjs/core';

/** Read access to a model's tensors by PyTorch name, in PyTorch layout, one tensor at a time. */
export interface TorchParams {
  /** Whether the model has the tensor. */
  has(name: string): boolean;
  /** Its PyTorch shape. */
  shape(name: string): number[];
  /** Its elements in PyTorch layout (a fresh copy or a read-only view: never modify it). */
  data(name: string): Float32Array;
}

function missing(name: string, what: string): never {
  throw new DeitError('E_ONNX', `${what} has no tensor ${name}`);
}

/** The parameters and buffers of a deitjs {@link Module}, converted from TF.js layout on demand. */
export function moduleParams(model: Module): TorchParams {
  const params = model.namedParams();
  const what = model.constructor.name;
  const info = (name: string) => params.get(name) ?? missing(name, what);
  return {
    has: (name) => params.has(name),
    shape: (name) => {
      const p = info(name);
      return torchShapeOf(p.layout, p.variable.shape);
    },
    data: (name) => {
      const p = info(name);
      return toTorchLayout(p.layout, p.variable.dataSync() as Float32Array, p.variable.shape).data as Float32Array;
    },
  };
}

/** The tensors of a state dict (PyTorch names and layouts, e.g. read from a checkpoint file), widened to float32. */
export function stateDictParams(sd: StateDict, what = 'state dict'): TorchParams {
  const get = (name: string) => sd.get(name) ?? missing(name, what);
  return {
    has: (name) => sd.has(name),
    shape: (name) => [...get(name).shape],
    data: (name) => toFloat32(get(name)),
  };
}
