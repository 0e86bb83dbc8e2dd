import { StateDictMismatchError } from './errors.js';
import { type Layout, fromTorchLayout, tfShapeOf, toTorchLayout } from './layout.js';
import type { HostTensor, StateDict } from './tensor-data.js';
import { numel } from './tensor-data.js';
import { tf } from './tf.js';

/** One registered tensor of a module: a trainable parameter or a buffer (e.g. BatchNorm running stats). */
export interface ParamInfo {
  /** The TF.js variable, in TF.js layout. */
  variable: tf.Variable;
  /** How the file (PyTorch) layout maps to the TF.js layout. */
  layout: Layout;
  /** False for buffers: saved and loaded, never optimised. */
  trainable: boolean;
}

/** What {@link Module.loadStateDict} found: keys missing from the file, extra in it, or of another shape. */
export interface LoadReport {
  /** Model keys with no tensor in the state dict. */
  missing: string[];
  /** State-dict keys the model does not have. */
  unexpected: string[];
  /** Keys whose shapes differ (`name: file [..] vs model [..]`). */
  mismatched: string[];
}

/** Options of {@link Module.loadStateDict}. */
export interface LoadOptions {
  /** Throw on any missing, unexpected or mis-shaped key (default true). */
  strict?: boolean;
  /** Keys of the state dict to pass over silently (default: BatchNorm `num_batches_tracked`). */
  ignore?: (key: string) => boolean;
  /** Keys of the model that may stay as initialised (e.g. re-initialised heads). */
  allowMissing?: (key: string) => boolean;
  /** What to call the source in error messages (a file name). */
  source?: string;
}

const ignoreBatchCounters = (key: string): boolean => key.endsWith('num_batches_tracked');

/**
 * A tree of named parameters whose names are the PyTorch state-dict keys (`blocks.0.attn.qkv.weight`).
 * Subclasses register parameters, buffers and children in their constructors.
 */
export class Module {
  private readonly ownParams = new Map<string, ParamInfo>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable parameter initialised to `init` (TF.js layout); takes ownership of `init`. */
  protected addParam(name: string, init: tf.Tensor, layout: Layout = 'as-is', trainable = true): tf.Variable {
    if (this.ownParams.has(name) || this.children.has(name)) throw new Error(`duplicate parameter name ${name}`);
    const variable = tf.variable(init, trainable);
    init.dispose();
    this.ownParams.set(name, { variable, layout, trainable });
    return variable;
  }

  /** Registers a non-trainable buffer (saved and loaded like a parameter, never optimised). */
  protected addBuffer(name: string, init: tf.Tensor, layout: Layout = 'as-is'): tf.Variable {
    return this.addParam(name, init, layout, false);
  }

  /** Registers a child module under `name` and returns it. */
  protected addChild<M extends Module>(name: string, child: M): M {
    if (this.ownParams.has(name) || this.children.has(name)) throw new Error(`duplicate child name ${name}`);
    this.children.set(name, child);
    return child;
  }

  /** Every parameter and buffer of this module and its children, by full dotted name, in registration order. */
  namedParams(prefix = ''): Map<string, ParamInfo> {
    const out = new Map<string, ParamInfo>();
    for (const [k, v] of this.ownParams) out.set(prefix + k, v);
    for (const [k, c] of this.children) for (const [kk, v] of c.namedParams(`${prefix}${k}.`)) out.set(kk, v);
    return out;
  }

  /** The trainable variables by name (what an optimiser updates). */
  trainableVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [k, p] of this.namedParams()) if (p.trainable) out.set(k, p.variable);
    return out;
  }

  /** Number of trainable parameter elements (timm's parameter count; buffers excluded). */
  numParams(): number {
    let n = 0;
    for (const p of this.namedParams().values()) if (p.trainable) n += p.variable.size;
    return n;
  }

  /** A copy of every parameter and buffer in PyTorch layout, float32, keyed by PyTorch name. */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [k, p] of this.namedParams()) {
      out.set(k, toTorchLayout(p.layout, p.variable.dataSync() as Float32Array, p.variable.shape));
    }
    return out;
  }

  /**
   * Loads a PyTorch-layout state dict by name. Reports (and, when strict, throws
   * {@link StateDictMismatchError} for) missing, unexpected and mis-shaped keys before assigning anything.
   */
  loadStateDict(sd: StateDict, options: LoadOptions = {}): LoadReport {
    const strict = options.strict ?? true;
    const ignore = options.ignore ?? ignoreBatchCounters;
    const params = this.namedParams();
    const report: LoadReport = { missing: [], unexpected: [], mismatched: [] };
    const toLoad: Array<[ParamInfo, HostTensor]> = [];
    for (const [k, p] of params) {
      const t = sd.get(k);
      if (t === undefined) {
        if (!options.allowMissing?.(k)) report.missing.push(k);
        continue;
      }
      const want = p.variable.shape;
      const got = t.shape.length === tfShapeOf(p.layout, t.shape).length ? tfShapeOf(p.layout, t.shape) : t.shape;
      if (got.length !== want.length || got.some((d, i) => d !== want[i]) || numel(t.shape) !== t.data.length) {
        report.mismatched.push(`${k}: file [${t.shape.join(',')}] vs model [${torchShapeOf(p.layout, want).join(',')}]`);
        continue;
      }
      toLoad.push([p, t]);
    }
    for (const k of sd.keys()) if (!params.has(k) && !ignore(k)) report.unexpected.push(k);
    const bad = report.missing.length + report.unexpected.length + report.mismatched.length;
    if (strict && bad > 0) {
      throw new StateDictMismatchError(options.source ?? 'state dict', report.missing, report.unexpected, report.mismatched);
    }
    for (const [p, t] of toLoad) {
      const { data, shape } = fromTorchLayout(p.layout, t);
      tf.tidy(() => p.variable.assign(tf.tensor(data, shape, 'float32')));
    }
    return report;
  }

  /** Frees every variable of this module and its children. */
  dispose(): void {
    for (const p of this.namedParams().values()) p.variable.dispose();
  }
}

/** The PyTorch shape of a parameter whose TF.js shape is `shape`. */
export function torchShapeOf(layout: Layout, shape: readonly number[]): number[] {
  if (layout === 'linear') return [shape[1]!, shape[0]!];
  if (layout === 'conv2d') return [shape[3]!, shape[2]!, shape[0]!, shape[1]!];
  return [...shape];
}
