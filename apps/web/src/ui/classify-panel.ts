import { DeiT } from '@deitjs/models';
import { type HeadLogits, type ModelBundle, argmax, classify, loadBundle, topK } from '../lib/model-bundle.js';
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
  /** The student's input for it (`[imgSize, imgSize, channels]`, normalised). */
  lastInput: Float32Array | undefined;
  /** The student's logits for it. */
  lastLogits: HeadLogits | undefined;
  /** The teacher's logits for it. */
  lastTeacher: HeadLogits | undefined;
  /** How many classifications ran (the test waits on it). */
  count = 0;
  private student: ModelBundle;
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
    const modelFiles = el('input', { type: 'file', multiple: '', accept: '.safetensors,.json', id: 'model-files' });
    modelFiles.addEventListener('change', () => void this.loadUserModel([...(modelFiles.files ?? [])]));
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
      if (files.some((f) => f.name.endsWith('.safetensors'))) void this.loadUserModel(files);
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
      el('details', {}, el('summary', {}, 'Your own model'), el('p', { class: 'small' }, 'Choose (or drop on the square) model.safetensors and run.json of a deit-train run directory.'), el('div', { class: 'buttons' }, el('label', { class: 'file' }, 'Model files… ', modelFiles), reset)),
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
    this.modelLine.textContent = `Student: ${s.run.model} (${s.source})${acc}. Teacher: ${t.run.model}${tAcc}.`;
  }

  private useModel(bundle: ModelBundle): void {
    if (this.student !== this.defaults.student && this.student !== bundle) this.student.model.dispose();
    this.student = bundle;
    this.describeModel();
    if (this.lastDigit) this.run(this.lastDigit);
  }

  private async loadUserModel(files: File[]): Promise<void> {
    const weights = files.find((f) => f.name.endsWith('.safetensors'));
    const runJson = files.find((f) => f.name.endsWith('.json'));
    try {
      if (!weights || !runJson) throw new Error('choose both model.safetensors and run.json');
      this.useModel(loadBundle(await runJson.text(), await weights.arrayBuffer(), weights.name));
    } catch (err) {
      this.result.replaceChildren(el('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err)));
    }
  }

  private classifyPad(): void {
    const px = this.pad.pixels();
    this.run(toMnistDigit(rgbaToGrey(px.data, px.width, px.height)));
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
      this.run(digit);
    } catch (err) {
      this.result.replaceChildren(el('p', { class: 'error', role: 'alert' }, `${file.name}: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  /** Classifies a 28×28 digit with the current student and the teacher, and shows the result. */
  run(digit: Uint8Array): void {
    const ctx = this.preview.getContext('2d')!;
    const img = ctx.createImageData(DIGIT_SIDE, DIGIT_SIDE);
    digit.forEach((v, i) => {
      img.data.set([v, v, v, 255], 4 * i);
    });
    ctx.putImageData(img, 0, 0);
    const s = this.student;
    const input = modelInput(digit, s.run, s.channels);
    const logits = classify(s, input);
    const t = this.defaults.teacher;
    const teacher = classify(t, modelInput(digit, t.run, t.channels));
    this.lastDigit = digit;
    this.lastInput = input;
    this.lastLogits = logits;
    this.lastTeacher = teacher;
    this.show(logits, teacher);
    this.count++;
    if (s.model instanceof DeiT && s.model.distilled) this.onClassified({ bundle: s, digit, input });
  }

  private show(logits: HeadLogits, teacher: HeadLogits): void {
    const best = argmax(logits.mean);
    const column = (title: string, l: Float32Array, id: string): HTMLElement =>
      el(
        'div',
        { class: 'top5', id },
        el('h3', {}, title),
        ...topK(l, 5).map(({ index, p }) => {
          const bar = el('span', { class: 'bar' });
          bar.style.width = `${(100 * p).toFixed(1)}%`;
          return el('div', { class: 'row' }, el('b', {}, String(index)), el('span', { class: 'track' }, bar), el('span', { class: 'p' }, pct(100 * p)));
        }),
      );
    const cols = [column(logits.dist ? 'cls head' : 'head', logits.cls, 'top5-cls')];
    if (logits.dist) cols.push(column('dist head', logits.dist, 'top5-dist'), column('mean (the prediction)', logits.mean, 'top5-mean'));
    const tBest = argmax(teacher.mean);
    const agree = logits.dist ? argmax(logits.cls) === argmax(logits.dist) : true;
    const answer = el('p', { class: 'answer' }, 'Prediction: ', el('strong', { id: 'prediction', 'data-class': String(best) }, String(best)));
    this.result.replaceChildren(
      answer,
      el('div', { class: 'cols' }, ...cols),
      el(
        'p',
        { id: 'agreement' },
        logits.dist ? (agree ? 'The cls and dist heads agree.' : `The heads disagree: cls says ${argmax(logits.cls)}, dist says ${argmax(logits.dist!)}.`) : 'This model has one head.',
        ` Teacher (${this.defaults.teacher.run.model}) says `,
        el('strong', { id: 'teacher-answer', 'data-class': String(tBest) }, String(tBest)),
        tBest === best ? ' too.' : '.',
      ),
    );
  }
}
