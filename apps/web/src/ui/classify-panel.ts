import { DeiT } from '@deitjs/models';
import { type HeadLogits, type ModelBundle, argmax, classify, loadBundle, topK } from '../lib/model-bundle.js';
import { type OnnxBundle, classifyOnnx, isOnnxFolder, loadOnnxFolder } from '../lib/onnx-bundle.js';
import { DIGIT_SIDE, modelInput, rgbaToGrey, toMnistDigit } from '../lib/preprocess.js';
import { el, pct } from './dom.js';
import { DrawPad } from './draw-pad.js';

/** What the "look inside" panel gets after each classification. */
export interface ClassifiedImage {
  bundle: ModelBundle;
  digit: Uint8Array;
  input: Float32Array;
}

interface Summary {
  models?: Record<string, { last?: { eval?: { top1?: number } } }>;
}
interface Analysis {
  top1?: { output: number; cls: number; dist: number };
  teacher?: { top1: number };
  count?: number;
}

/** Draw or drop a digit; the student's two heads, their mean, their agreement, and the teacher's answer. */
export class ClassifyPanel {
  readonly root: HTMLElement;
  /** The last digit classified (28×28, 0–255). */
  lastDigit: Uint8Array | undefined;
  /** The student's input for it (`[imgSize, imgSize, channels]`, normalised; undefined for an ONNX student). */
  lastInput: Float32Array | undefined;
  /** The student's logits for it. */
  lastLogits: HeadLogits | undefined;
  /** The teacher's logits for it. */
  lastTeacher: HeadLogits | undefined;
  /** How many classifications ran (the test waits on it). */
  count = 0;
  private student: ModelBundle | OnnxBundle;
  /** Numbers the classifications: an ONNX run answers later, and only the latest one is shown. */
  private seq = 0;
  private readonly defaults: { student: ModelBundle; teacher: ModelBundle };
  private readonly pad: DrawPad;
  private readonly preview = el('canvas', { width: String(DIGIT_SIDE), height: String(DIGIT_SIDE), class: 'preview', 'aria-label': 'what the model sees' });
  private readonly result = el('div', { id: 'result', 'aria-live': 'polite' });
  private readonly modelLine = el('p', { id: 'model-line', class: 'small' });

  constructor(
    models: { student: ModelBundle; teacher: ModelBundle },
    summary: Summary | undefined,
    private readonly analysis: Analysis | undefined,
    private readonly onClassified: (image: ClassifiedImage) => void,
  ) {
    this.defaults = models;
    this.student = models.student;
    this.pad = new DrawPad(280, () => this.classifyPad());
    const file = el('input', { type: 'file', accept: 'image/*', id: 'image-file' });
    file.addEventListener('change', () => void this.classifyFile(file.files?.[0]));
    const modelFiles = el('input', { type: 'file', multiple: '', accept: '.safetensors,.json,.onnx', id: 'model-files' });
    modelFiles.addEventListener('change', () => void this.loadUserModel([...(modelFiles.files ?? [])]));
    // A whole exported folder at once (its model is in the onnx/ subfolder, which a file picker makes awkward).
    const onnxFolder = el('input', { type: 'file', webkitdirectory: '', id: 'onnx-folder' });
    onnxFolder.addEventListener('change', () => void this.loadUserModel([...(onnxFolder.files ?? [])]));
    const clear = el('button', { type: 'button', id: 'clear' }, 'Clear');
    clear.addEventListener('click', () => {
      this.pad.clear();
      this.result.replaceChildren(el('p', { class: 'small' }, 'Draw a digit (0–9) in the black square.'));
    });
    const reset = el('button', { type: 'button', id: 'default-model' }, 'Default model');
    reset.addEventListener('click', () => this.useModel(this.defaults.student));
    // Dropping an image or a model's two files on the pad.
    this.pad.canvas.addEventListener('dragover', (e) => e.preventDefault());
    this.pad.canvas.addEventListener('drop', (e) => {
      e.preventDefault();
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.some((f) => f.name.endsWith('.safetensors')) || isOnnxFolder(files)) void this.loadUserModel(files);
      else void this.classifyFile(files[0]);
    });
    this.root = el(
      'section',
      { id: 'classify', class: 'card' },
      el('h2', {}, '1 · Classify'),
      el('p', { class: 'small' }, 'Draw a digit, or drop an image of one on the square.'),
      el('div', { class: 'pad-row' }, this.pad.canvas, el('div', { class: 'side' }, el('span', { class: 'small' }, 'model input'), this.preview)),
      el('div', { class: 'buttons' }, clear, el('label', { class: 'file' }, 'Image… ', file)),
      this.result,
      el(
        'details',
        {},
        el('summary', {}, 'Your own model'),
        el('p', { class: 'small' }, 'Choose (or drop on the square) model.safetensors and run.json of a deit-train run directory, or the folder deit-eval export --format onnx writes (config.json, preprocessor_config.json, onnx/model.onnx; run by onnxruntime-web).'),
        el('div', { class: 'buttons' }, el('label', { class: 'file' }, 'Model files… ', modelFiles), el('label', { class: 'file' }, 'ONNX folder… ', onnxFolder), reset),
      ),
      this.modelLine,
    );
    this.describeModel(summary);
    this.result.append(el('p', { class: 'small' }, 'Draw a digit (0–9) in the black square.'));
  }

  private describeModel(summary?: Summary): void {
    const s = this.student;
    const a = this.analysis;
    const acc = s === this.defaults.student && a?.top1 ? ` — test accuracy ${pct(a.top1.output)} (cls ${pct(a.top1.cls)}, dist ${pct(a.top1.dist)}) on ${a.count ?? '?'} digits` : '';
    const t = this.defaults.teacher;
    const tAcc = a?.teacher ? ` — ${pct(a.teacher.top1)}` : summary?.models?.teacher?.last?.eval?.top1 !== undefined ? ` — ${pct(summary.models.teacher.last.eval.top1)}` : '';
    const name = 'session' in s ? `ONNX, ${s.prep.labels.length} classes, onnxruntime-web` : s.run.model;
    this.modelLine.textContent = `Student: ${name} (${s.source})${acc}. Teacher: ${t.run.model}${tAcc}.`;
  }

  private useModel(bundle: ModelBundle | OnnxBundle): void {
    const old = this.student;
    if (old !== this.defaults.student && old !== bundle) {
      if ('session' in old) void old.session.release();
      else old.model.dispose();
    }
    this.student = bundle;
    this.describeModel();
    if (this.lastDigit) void this.run(this.lastDigit);
  }

  private async loadUserModel(files: File[]): Promise<void> {
    const weights = files.find((f) => f.name.endsWith('.safetensors'));
    const runJson = files.find((f) => f.name.endsWith('.json'));
    try {
      if (isOnnxFolder(files)) this.useModel(await loadOnnxFolder(files));
      else if (!weights || !runJson) throw new Error('choose both model.safetensors and run.json, or an exported ONNX folder');
      else this.useModel(loadBundle(await runJson.text(), await weights.arrayBuffer(), weights.name));
    } catch (err) {
      this.result.replaceChildren(el('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err)));
    }
  }

  private classifyPad(): void {
    const px = this.pad.pixels();
    void this.run(toMnistDigit(rgbaToGrey(px.data, px.width, px.height)));
  }

  private async classifyFile(file: File | undefined): Promise<void> {
    if (!file) return;
    try {
      const bmp = await createImageBitmap(file);
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(bmp, 0, 0);
      const data = ctx.getImageData(0, 0, bmp.width, bmp.height);
      const digit = toMnistDigit(rgbaToGrey(data.data, bmp.width, bmp.height));
      this.pad.drawDigit(digit);
      await this.run(digit);
    } catch (err) {
      this.result.replaceChildren(el('p', { class: 'error', role: 'alert' }, `${file.name}: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  /**
   * Classifies a 28×28 digit with the current student and the teacher, and shows the result. A TF.js student answers
   * at once (the count is up when this returns); an ONNX student when the returned promise settles.
   */
  async run(digit: Uint8Array): Promise<void> {
    const ctx = this.preview.getContext('2d')!;
    const img = ctx.createImageData(DIGIT_SIDE, DIGIT_SIDE);
    digit.forEach((v, i) => {
      img.data.set([v, v, v, 255], 4 * i);
    });
    ctx.putImageData(img, 0, 0);
    const s = this.student;
    const t = this.defaults.teacher;
    const teacher = classify(t, modelInput(digit, t.run, t.channels));
    const seq = ++this.seq;
    let input: Float32Array | undefined;
    let logits: HeadLogits;
    if ('session' in s) {
      try {
        logits = await classifyOnnx(s, digit);
      } catch (err) {
        if (seq === this.seq) this.result.replaceChildren(el('p', { class: 'error', role: 'alert' }, `${s.source}: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      if (seq !== this.seq) return; // a later digit (or model) has been classified meanwhile (a replaced session fails)
    } else {
      input = modelInput(digit, s.run, s.channels);
      logits = classify(s, input);
    }
    this.lastDigit = digit;
    this.lastInput = input;
    this.lastLogits = logits;
    this.lastTeacher = teacher;
    this.show(logits, teacher, 'session' in s ? s.prep.labels : undefined);
    this.count++;
    if (!('session' in s) && input && s.model instanceof DeiT && s.model.distilled) this.onClassified({ bundle: s, digit, input });
  }

  /** Shows the heads' top-5, named by `labels` (an ONNX folder's id2label) or else by class index. */
  private show(logits: HeadLogits, teacher: HeadLogits, labels?: string[]): void {
    const name = (i: number): string => labels?.[i] ?? String(i);
    const best = argmax(logits.mean);
    const column = (title: string, l: Float32Array, id: string): HTMLElement =>
      el(
        'div',
        { class: 'top5', id },
        el('h3', {}, title),
        ...topK(l, 5).map(({ index, p }) => {
          const bar = el('span', { class: 'bar' });
          bar.style.width = `${(100 * p).toFixed(1)}%`;
          return el('div', { class: 'row' }, el('b', { title: name(index) }, name(index)), el('span', { class: 'track' }, bar), el('span', { class: 'p' }, pct(100 * p)));
        }),
      );
    const cols = [column(logits.dist ? 'cls head' : 'head', logits.cls, 'top5-cls')];
    if (logits.dist) cols.push(column('dist head', logits.dist, 'top5-dist'), column('mean (the prediction)', logits.mean, 'top5-mean'));
    const tBest = argmax(teacher.mean);
    const agree = logits.dist ? argmax(logits.cls) === argmax(logits.dist) : true;
    const answer = el('p', { class: 'answer' }, 'Prediction: ', el('strong', { id: 'prediction', 'data-class': String(best) }, name(best)));
    this.result.replaceChildren(
      answer,
      el('div', { class: labels?.some((l) => l.length > 2) ? 'cols named' : 'cols' }, ...cols),
      el(
        'p',
        { id: 'agreement' },
        logits.dist ? (agree ? 'The cls and dist heads agree.' : `The heads disagree: cls says ${name(argmax(logits.cls))}, dist says ${name(argmax(logits.dist!))}.`) : 'This model has one head.',
        ` Teacher (${this.defaults.teacher.run.model}) says `,
        el('strong', { id: 'teacher-answer', 'data-class': String(tBest) }, String(tBest)),
        tBest === best ? ' too.' : '.',
      ),
    );
  }
}
