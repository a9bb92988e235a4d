// A live line chart on canvas (training loss by step). A few hundred points redrawn per step cost well under a
// millisecond, so a charting library would not pay for itself here.
import { sizedCanvas } from './heatmap.ts';

export class LineChart {
  private readonly canvas: HTMLCanvasElement;
  private points: [number, number][] = [];
  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
  }

  clear(): void {
    this.points = [];
    this.draw();
  }

  push(x: number, y: number): void {
    this.points.push([x, y]);
    this.draw();
  }

  draw(): void {
    const width = Math.max(240, Math.min(720, this.canvas.parentElement?.clientWidth ?? 480));
    const height = 220;
    const ctx = sizedCanvas(this.canvas, width, height);
    ctx.clearRect(0, 0, width, height);
    const left = 44;
    const bottom = height - 24;
    const top = 10;
    const right = width - 10;
    ctx.strokeStyle = '#bbb';
    ctx.beginPath();
    ctx.moveTo(left, top);
    ctx.lineTo(left, bottom);
    ctx.lineTo(right, bottom);
    ctx.stroke();
    ctx.fillStyle = '#555';
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText('loss', 4, top + 8);
    ctx.fillText('step', right - 24, height - 6);
    if (this.points.length === 0) return;
    const xs = this.points.map((p) => p[0]);
    const ys = this.points.map((p) => p[1]);
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs, x0 + 1);
    const y0 = Math.min(...ys);
    const y1 = Math.max(...ys, y0 + 1e-3);
    const px = (x: number): number => left + ((x - x0) / (x1 - x0)) * (right - left);
    const py = (y: number): number => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);
    ctx.fillText(y1.toFixed(2), 4, top + 22);
    ctx.fillText(y0.toFixed(2), 4, bottom);
    ctx.fillText(String(x1), right - 30, bottom + 14);
    ctx.strokeStyle = '#1c5fd4';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    this.points.forEach(([x, y], i) => {
      if (i === 0) ctx.moveTo(px(x), py(y));
      else ctx.lineTo(px(x), py(y));
    });
    ctx.stroke();
    this.canvas.dataset.points = String(this.points.length);
  }
}
