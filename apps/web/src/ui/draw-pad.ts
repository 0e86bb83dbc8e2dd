/** A canvas to draw a digit on with mouse, pen or finger (white ink on black, as MNIST). */
export class DrawPad {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private last: [number, number] | undefined;

  constructor(
    side: number,
    private readonly onStrokeEnd: () => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = side;
    this.canvas.height = side;
    this.canvas.className = 'pad';
    this.canvas.setAttribute('aria-label', 'drawing area: draw a digit');
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    this.canvas.addEventListener('pointerdown', (e) => {
      this.canvas.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.line(this.last, this.last);
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (this.last === undefined) return;
      const p = this.point(e);
      this.line(this.last, p);
      this.last = p;
    });
    const end = (): void => {
      if (this.last === undefined) return;
      this.last = undefined;
      this.onStrokeEnd();
    };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
  }

  private point(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * this.canvas.width, ((e.clientY - r.top) / r.height) * this.canvas.height];
  }

  private line(a: [number, number], b: [number, number]): void {
    const c = this.ctx;
    c.strokeStyle = '#fff';
    c.lineWidth = this.canvas.width / 12;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(...a);
    c.lineTo(...b);
    c.stroke();
  }

  /** Blanks the pad. */
  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Shows a 28×28 digit (0–255) scaled up to the pad (after a dropped image was turned into one). */
  drawDigit(digit: Uint8Array, side = 28): void {
    const small = document.createElement('canvas');
    small.width = side;
    small.height = side;
    const sc = small.getContext('2d')!;
    const img = sc.createImageData(side, side);
    digit.forEach((v, i) => {
      img.data.set([v, v, v, 255], 4 * i);
    });
    sc.putImageData(img, 0, 0);
    this.clear();
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(small, 0, 0, this.canvas.width, this.canvas.height);
  }

  /** The pad's RGBA pixels. */
  pixels(): ImageData {
    return this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }
}
