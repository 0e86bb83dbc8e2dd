import { ConfigError, type Module } from '@deitjs/core';
import { DeiT } from '@deitjs/models';
import { type ConvNet, RegNet, ResNet } from '@deitjs/teachers';
import { type ConvNetExportOptions, regnetGraph, resnetGraph } from './export-convnet.js';
import { type ExportOptions, deitGraph } from './export-deit.js';
import { moduleParams } from './params.js';
import { type OnnxModel, modelBytes, writeModel } from './serialize.js';

/** A model the exporter knows: a DeiT (plain or distilled) or a ResNet / RegNet teacher. */
export type ExportableModel = DeiT | ConvNet;

/** The ONNX graph of a deitjs model, with its current weights (eval mode: BatchNorm running statistics). */
export function toOnnx(model: ExportableModel, options: ConvNetExportOptions = {}): OnnxModel {
  const params = moduleParams(model as Module);
  if (model instanceof DeiT) return deitGraph(model.config, params, options as ExportOptions);
  if (model instanceof ResNet) return resnetGraph(model.config, params, options);
  if (model instanceof RegNet) return regnetGraph(model.stages, params, options);
  throw new ConfigError('model', `cannot export a ${(model as object).constructor.name} to ONNX (DeiT, ResNet and RegNet can be)`);
}

/** The `.onnx` file of a model, in memory (fine for small models; use {@link exportOnnx} for large ones). */
export function onnxBytes(model: ExportableModel, options: ConvNetExportOptions = {}): Uint8Array {
  return modelBytes(toOnnx(model, options));
}

/** Writes the `.onnx` file of a model atomically, one weight at a time (any size up to protobuf's 2 GiB). */
export function exportOnnx(model: ExportableModel, file: string, options: ConvNetExportOptions = {}): void {
  writeModel(file, toOnnx(model, options));
}
