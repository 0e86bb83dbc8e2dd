import { tf } from '@deitjs/core';
import type { DeiT } from '@deitjs/models';
import { type InsideView, lookInside } from '../lib/inside.js';
import { DIGIT_SIDE } from '../lib/preprocess.js';
import type { ClassifiedImage } from './classify-panel.js';
import { drawHeatmap, drawLines } from './charts.js';
import { el } from './dom.js';

interface Analysis {
  layers?: { name: string; cosine: number }[];
  count?: number;
}

const shortName = (layer: string): string => (layer === 'pos_drop' ? 'embed' : layer === 'norm' ? 'norm' : layer.replace('blocks.', 'b'));

/** cos(cls, dist) per layer for this image and the data set; attention of both tokens over the patches. */
export class InsidePanel {
  readonly root: HTMLElement;
  /** The last view (for the test). */
  last: InsideView | undefined;
  private readonly chart = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  private readonly maps: Record<'clsLast' | 'distLast' | 'clsRoll' | 'distRoll', HTMLCanvasElement>;
  private readonly note = el('p', { class: 'small' }, 'Classify a digit to see inside the student.');

  constructor(private readonly analysis: Analysis | undefined) {
    this.chart.setAttribute('class', 'chart');
    this.chart.setAttribute('role', 'img');
    this.chart.setAttribute('aria-label', 'cosine of the cls and dist tokens after each layer');
    const canvas = (label: string): HTMLCanvasElement => el('canvas', { width: '128', height: '128', class: 'heat', 'aria-label': label });
    this.maps = {
      clsLast: canvas('cls token attention, last block'),
      distLast: canvas('dist token attention, last block'),
      clsRoll: canvas('cls token attention rollout'),
      distRoll: canvas('dist token attention rollout'),
    };
    const fig = (c: HTMLCanvasElement, caption: string): HTMLElement => el('figure', {}, c, el('figcaption', {}, caption));
    this.root = el(
      'section',
      { id: 'inside', class: 'card' },
      el('h2', {}, '2 · Look inside'),
      el('p', { class: 'small' }, 'DeiT §5.1: the class and distillation tokens start apart and converge through the blocks. cos(cls, dist) after each layer:'),
      this.chart,
      el('p', { class: 'small' }, 'Where each token looks: attention over the 4×4 patches in the last block (mean of the heads), and the rollout through all blocks.'),
      el('div', { class: 'heats' }, fig(this.maps.clsLast, 'cls · last'), fig(this.maps.distLast, 'dist · last'), fig(this.maps.clsRoll, 'cls · rollout'), fig(this.maps.distRoll, 'dist · rollout')),
      this.note,
    );
    this.drawCosines(undefined);
  }

  private drawCosines(view: InsideView | undefined): void {
    const data = this.analysis?.layers ?? [];
    const names = view?.layers ?? data.map((l) => l.name);
    drawLines(
      this.chart,
      [
        { name: 'this image', colour: '#d9480f', points: (view?.cosine ?? []).map((c, i) => [i, c]) },
        { name: `data set (${this.analysis?.count ?? 0} digits)`, colour: '#1c7ed6', dashed: true, points: data.map((l, i) => [i, l.cosine]) },
      ],
      { yMin: Math.min(0, ...(view?.cosine ?? [])), yMax: 1, xTicks: names.map(shortName) },
    );
  }

  /** Recomputes the view for a newly classified image. */
  show(image: ClassifiedImage): void {
    const model = image.bundle.model as DeiT;
    const n = image.bundle.run.imgSize;
    const x = tf.tensor4d(image.input, [1, n, n, image.bundle.channels]);
    try {
      this.last = lookInside(model, x);
    } finally {
      x.dispose();
    }
    this.drawCosines(this.last);
    // The digit as the model sees it (padded to the input side) under each map.
    const pad = (n - DIGIT_SIDE) / 2;
    const grey = new Float32Array(n * n);
    if (pad >= 0 && Number.isInteger(pad)) for (let y = 0; y < DIGIT_SIDE; y++) for (let xx = 0; xx < DIGIT_SIDE; xx++) grey[(y + pad) * n + xx + pad] = image.digit[y * DIGIT_SIDE + xx]!;
    const v = this.last;
    drawHeatmap(this.maps.clsLast, grey, n, v.last.cls, v.grid);
    drawHeatmap(this.maps.distLast, grey, n, v.last.dist, v.grid);
    drawHeatmap(this.maps.clsRoll, grey, n, v.rollout.cls, v.grid);
    drawHeatmap(this.maps.distRoll, grey, n, v.rollout.dist, v.grid);
    const final = v.cosine[v.cosine.length - 1]!;
    this.note.textContent = `cos(cls, dist): ${v.cosine[0]!.toFixed(2)} after the embedding, ${final.toFixed(2)} after the final norm.`;
  }
}
