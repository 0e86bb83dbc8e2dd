import { DEFAULT_SETTINGS, type DistillSettings, type EvalReport, type StepReport } from '../lib/distill-job.js';
import type { AssetUrls, FromWorker, JobState, ToWorker } from '../lib/protocol.js';
import { drawLines } from './charts.js';
import { el, pct } from './dom.js';

/** The live job: settings, start/pause/resume/stop, loss and accuracy curves, download of the trained students. */
export class DistillPanel {
  readonly root: HTMLElement;
  /** Every step report of the current job (the test reads the losses). */
  readonly steps: StepReport[] = [];
  /** Every evaluation of the current job. */
  readonly evals: EvalReport[] = [];
  /** The worker's state. */
  state: JobState | 'idle' = 'idle';
  /** The last error, if any. */
  error: string | undefined;
  private worker: Worker | undefined;
  private readonly lossChart = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  private readonly accChart = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  private readonly statusLine = el('p', { id: 'distill-status', role: 'status' }, 'Not started.');
  private readonly workerLine = el('p', { class: 'small' });
  private readonly epochs = el('input', { type: 'number', min: '1', max: '60', value: String(DEFAULT_SETTINGS.epochs), id: 'epochs' });
  private readonly teacherEpochs = el('input', { type: 'number', min: '0', max: '30', value: '0', id: 'teacher-epochs' });
  private readonly type = el('select', { id: 'distillation-type' }, el('option', { value: 'hard' }, 'hard'), el('option', { value: 'soft' }, 'soft'));
  private readonly start = el('button', { type: 'button', id: 'start' }, 'Start');
  private readonly pause = el('button', { type: 'button', id: 'pause', disabled: '' }, 'Pause');
  private readonly stop = el('button', { type: 'button', id: 'stop', disabled: '' }, 'Stop');
  private readonly download = el('button', { type: 'button', id: 'download', disabled: '' }, 'Download model.safetensors + run.json');

  constructor(private readonly assets: AssetUrls) {
    for (const c of [this.lossChart, this.accChart]) c.setAttribute('class', 'chart');
    this.lossChart.setAttribute('aria-label', 'training loss per step');
    this.accChart.setAttribute('aria-label', 'test accuracy');
    this.start.addEventListener('click', () => this.begin());
    this.pause.addEventListener('click', () => this.send({ type: this.state === 'paused' ? 'resume' : 'pause' }));
    this.stop.addEventListener('click', () => this.send({ type: 'stop' }));
    this.download.addEventListener('click', () => this.send({ type: 'weights', which: 'distilled' }));
    this.root = el(
      'section',
      { id: 'distill', class: 'card wide' },
      el('h2', {}, '3 · Distill live'),
      el('p', { class: 'small' }, 'The MNIST main job at a small budget, in a Web Worker: a DeiT student learns from the CNN teacher (hard distillation, α 0.5) beside its twin — same initialisation, same batches — that learns from the labels only. 500 training digits, 200 test digits. A DeiT this small sits near ln 10 ≈ 2.30 for its first few epochs (as in the main job) before it takes off; 10 epochs take a minute or two.'),
      el(
        'div',
        { class: 'settings' },
        el('label', {}, 'Student epochs ', this.epochs),
        el('label', {}, 'Teacher epochs (0 = the committed teacher) ', this.teacherEpochs),
        el('label', {}, 'Distillation ', this.type),
      ),
      el('div', { class: 'buttons' }, this.start, this.pause, this.stop, this.download),
      this.statusLine,
      el('div', { class: 'charts' }, el('figure', {}, this.lossChart, el('figcaption', {}, 'training loss per step')), el('figure', {}, this.accChart, el('figcaption', {}, 'test accuracy (%)'))),
      this.workerLine,
    );
    this.redraw();
  }

  private send(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  /** Starts a job with the settings on the page (or the given ones). */
  begin(overrides: Partial<DistillSettings> = {}): void {
    this.worker ??= this.spawn();
    this.steps.length = 0;
    this.evals.length = 0;
    this.error = undefined;
    const settings: DistillSettings = {
      ...DEFAULT_SETTINGS,
      epochs: Number(this.epochs.value) || DEFAULT_SETTINGS.epochs,
      teacherEpochs: Number(this.teacherEpochs.value) || 0,
      distillationType: this.type.value === 'soft' ? 'soft' : 'hard',
      ...overrides,
    };
    // The worker resolves URLs against its own script, not the page: send absolute ones.
    const abs = (u: string): string => new URL(u, document.baseURI).href;
    this.send({ type: 'start', settings, assets: { teacher: abs(this.assets.teacher), student: abs(this.assets.student), digits: abs(this.assets.digits) } });
    this.redraw();
  }

  private spawn(): Worker {
    const w = new Worker(new URL('../distill-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
    w.onerror = (e) => this.receive({ type: 'error', message: e.message || 'the worker failed to load' });
    return w;
  }

  private receive(m: FromWorker): void {
    if (m.type === 'backend') this.workerLine.textContent = `Worker: ${m.summary}`;
    else if (m.type === 'state') {
      this.state = m.state;
      this.pause.textContent = m.state === 'paused' ? 'Resume' : 'Pause';
      this.pause.toggleAttribute('disabled', !(m.state === 'running' || m.state === 'paused'));
      this.stop.toggleAttribute('disabled', !(m.state === 'running' || m.state === 'paused'));
      this.download.toggleAttribute('disabled', !(m.phase === 'students' && m.state !== 'loading' && m.state !== 'stopped'));
      this.start.textContent = m.state === 'running' || m.state === 'paused' ? 'Restart' : 'Start';
      this.describe();
    } else if (m.type === 'step') {
      this.steps.push(m.report);
      this.describe();
      this.redraw();
    } else if (m.type === 'eval') {
      this.evals.push(m.report);
      this.describe();
      this.redraw();
    } else if (m.type === 'weights') {
      this.save(new Blob([m.safetensors], { type: 'application/octet-stream' }), 'model.safetensors');
      this.save(new Blob([m.runJson], { type: 'application/json' }), 'run.json');
    } else {
      this.error = m.message;
      this.statusLine.textContent = `Error: ${m.message}`;
    }
  }

  private save(blob: Blob, name: string): void {
    const a = el('a', { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  private describe(): void {
    const s = this.steps[this.steps.length - 1];
    const e = this.evals[this.evals.length - 1];
    const parts: string[] = [this.state];
    if (s) {
      parts.push(`${s.phase === 'teacher' ? 'teacher' : 'students'} step ${s.step}/${s.totalSteps} (epoch ${s.epoch}), lr ${s.lr.toExponential(2)}`);
      parts.push(`loss ${s.phase === 'teacher' ? 'teacher' : 'distilled'} ${s.distilled.loss.toFixed(3)}${s.baseline ? `, twin ${s.baseline.loss.toFixed(3)}` : ''}`);
    }
    if (e) {
      parts.push(`test: teacher ${pct(e.teacher)}${e.distilled ? `, distilled ${pct(e.distilled.mean)} (agrees with the teacher on ${pct(e.distilled.agreement)})` : ''}${e.baseline ? `, twin ${pct(e.baseline.mean)}` : ''}`);
    }
    this.statusLine.textContent = parts.join(' · ');
  }

  private redraw(): void {
    const students = this.steps.filter((s) => s.phase === 'students');
    const teacherSteps = this.steps.filter((s) => s.phase === 'teacher');
    drawLines(
      this.lossChart,
      [
        { name: 'distilled (total)', colour: '#d9480f', points: students.map((s) => [s.step, s.distilled.loss]) },
        { name: 'twin (labels only)', colour: '#1c7ed6', points: students.map((s) => [s.step, s.baseline?.loss ?? 0]) },
        ...(teacherSteps.length ? [{ name: 'teacher', colour: '#495057', dashed: true, points: teacherSteps.map((s): [number, number] => [s.step, s.distilled.loss]) }] : []),
      ],
      { xLabel: 'step' },
    );
    const ev = this.evals.filter((e) => e.phase === 'students');
    drawLines(
      this.accChart,
      [
        { name: 'distilled', colour: '#d9480f', points: ev.map((e) => [e.step, e.distilled?.mean ?? 0]) },
        { name: 'twin', colour: '#1c7ed6', points: ev.map((e) => [e.step, e.baseline?.mean ?? 0]) },
        { name: 'teacher', colour: '#495057', dashed: true, points: ev.map((e) => [e.step, e.teacher]) },
      ],
      { yMin: 0, yMax: 100, xLabel: 'step' },
    );
  }
}
