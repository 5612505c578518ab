/**
 * Small SVG charts for the result view, drawn with the DOM (no library): paired horizontal bars
 * (before/after) and per-group strip plots with quartile boxes. Each chart is an <svg role="img">
 * with a text alternative; sizes are in viewBox units so the drawing scales with the page.
 */
const NS = "http://www.w3.org/2000/svg";
const ROW = 20;
const TOP = 26;
const VALUE_W = 104;

/**
 * Charts are drawn at the width of their box (so 11px text stays 11px), but never narrower than
 * MIN_WIDTH: on a phone the box scrolls sideways rather than shrinking the text.
 */
export const MIN_WIDTH = 480;

interface Frame {
  width: number;
  labelW: number;
  plotW: number;
}

/** Label column: as wide as the longest label needs (≈6.3 px per 11px character), within limits. */
function frame(width: number, labels: readonly string[]): Frame {
  const w = Math.max(MIN_WIDTH, Math.min(1100, Math.round(width)));
  const longest = Math.max(4, ...labels.map((l) => l.length));
  const labelW = Math.round(Math.min(210, w * 0.28, longest * 6.3 + 12));
  return { width: w, labelW, plotW: w - labelW - VALUE_W };
}

type Attrs = Record<string, string | number>;

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Attrs = {}, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(f: Frame, height: number, label: string): SVGSVGElement {
  const s = el("svg", { viewBox: `0 0 ${f.width} ${height}`, width: f.width, height, role: "img", "aria-label": label });
  s.append(el("title", {}, label));
  return s;
}

/** Shortens long node names from the left, where ONNX exporters put the repetitive prefix. */
function clip(s: string, labelW: number): string {
  const max = Math.max(6, Math.floor(labelW / 6.3));
  return s.length <= max ? s : `…${s.slice(s.length - max + 1)}`;
}

export function human(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(Math.round(n * 100) / 100);
}

function legend(s: SVGSVGElement, f: Frame, items: { cls: string; text: string; shape?: "dot" | "ring" }[]): void {
  const g = el("g", { class: "legend", transform: `translate(${f.labelW}, 6)` });
  let x = 0;
  for (const it of items) {
    if (it.shape) g.append(el("circle", { cx: x + 5, cy: 7, r: 4, class: it.cls }));
    else g.append(el("rect", { x, y: 2, width: 12, height: 10, class: it.cls }));
    g.append(el("text", { x: x + 17, y: 11 }, it.text));
    x += 30 + it.text.length * 6.2;
  }
  s.append(g);
}

function xAxis(s: SVGSVGElement, f: Frame, y: number, max: number, format: (v: number) => string): void {
  const g = el("g", { class: "axis" });
  for (let i = 0; i <= 4; i++) {
    const x = f.labelW + (f.plotW * i) / 4;
    g.append(el("line", { x1: x, x2: x, y1: TOP - 4, y2: y, class: "grid" }));
    g.append(el("text", { x, y: y + 13, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, format((max * i) / 4)));
  }
  s.prepend(g);
}

export interface BarRow {
  label: string;
  before: number;
  after: number;
  /** Drawn greyed out with this note (e.g. why a group is frozen). */
  note?: string;
}

/** Before (light, full height) and after (dark, inset) bars per row, with "before → after" values. */
export function pairedBars(rows: readonly BarRow[], title: string, width: number, format: (v: number) => string = human): SVGSVGElement {
  const f = frame(width, rows.map((r) => r.label));
  const { labelW: LABEL_W, plotW } = f;
  const height = TOP + rows.length * ROW + 20;
  const s = svg(f, height, `${title}: ${rows.length} rows, before and after`);
  const max = Math.max(1, ...rows.map((r) => Math.max(r.before, r.after)));
  legend(s, f, [{ cls: "before", text: "before" }, { cls: "after", text: "after" }]);
  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    const g = el("g");
    g.append(el("title", {}, `${r.label}: ${format(r.before)} → ${format(r.after)}${r.note ? ` (${r.note})` : ""}`));
    g.append(el("text", { x: LABEL_W - 6, y: y + 14, "text-anchor": "end", class: r.note ? "frozen" : "" }, clip(r.label, LABEL_W)));
    g.append(el("rect", { x: LABEL_W, y: y + 3, width: (plotW * r.before) / max, height: ROW - 6, class: "before" }));
    g.append(el("rect", { x: LABEL_W, y: y + 6, width: (plotW * r.after) / max, height: ROW - 12, class: r.note ? "before" : "after" }));
    const value = r.note ? `${format(r.before)} (frozen)` : r.before === r.after ? format(r.before) : `${format(r.before)} → ${format(r.after)}`;
    g.append(el("text", { x: LABEL_W + plotW + 6, y: y + 14, class: r.note ? "frozen" : "" }, value));
    s.append(g);
  });
  xAxis(s, f, TOP + rows.length * ROW + 2, max, format);
  return s;
}

export interface StripRow {
  label: string;
  values: readonly number[];
  removed: ReadonlySet<number>;
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * One strip per group: every channel's importance divided by the group's maximum (so groups of
 * different scales share one axis), kept channels filled, removed ones as red rings, with a box
 * over the quartiles and a bar at the median. Vertical jitter is a fixed function of the index.
 */
export function importanceStrips(rows: readonly StripRow[], title: string, width: number): SVGSVGElement {
  const f = frame(width, rows.map((r) => r.label));
  const { labelW: LABEL_W, plotW } = f;
  const rowH = 26;
  const height = TOP + rows.length * rowH + 20;
  const s = svg(f, height, `${title}: per-channel importance of ${rows.length} groups, removed channels marked`);
  legend(s, f, [{ cls: "kept", text: "kept", shape: "dot" }, { cls: "removed", text: "removed", shape: "ring" }]);
  rows.forEach((r, i) => {
    const y = TOP + i * rowH;
    const mid = y + rowH / 2;
    const max = Math.max(...r.values.map(Math.abs), 1e-30);
    const norm = r.values.map((v) => v / max);
    const sorted = [...norm].sort((a, b) => a - b);
    const g = el("g");
    g.append(el("title", {}, `${r.label}: ${r.values.length} channels, ${r.removed.size} removed`));
    g.append(el("text", { x: LABEL_W - 6, y: mid + 4, "text-anchor": "end" }, clip(r.label, LABEL_W)));
    const xs = (v: number) => LABEL_W + plotW * Math.min(1, Math.max(0, v));
    const [q1, q2, q3] = [0.25, 0.5, 0.75].map((q) => quantile(sorted, q)) as [number, number, number];
    g.append(el("rect", { x: xs(q1), y: y + 3, width: Math.max(1, xs(q3) - xs(q1)), height: rowH - 6, class: "box" }));
    g.append(el("line", { x1: xs(q2), x2: xs(q2), y1: y + 3, y2: y + rowH - 3, class: "box", "stroke-width": 2 }));
    norm.forEach((v, c) => {
      const jitter = (((c * 2654435761) >>> 0) % 1000) / 1000 - 0.5;
      const removed = r.removed.has(c);
      g.append(el("circle", { cx: xs(v), cy: mid + jitter * (rowH - 12), r: removed ? 2.6 : 2.2, class: removed ? "removed" : "kept" }));
    });
    g.append(el("text", { x: LABEL_W + plotW + 6, y: mid + 4 }, `${r.values.length - r.removed.size}/${r.values.length} kept`));
    s.append(g);
  });
  xAxis(s, f, TOP + rows.length * rowH + 2, 1, (v) => v.toFixed(2));
  return s;
}
