// Pictures of a training run as self-contained SVG text: line charts (the loss and accuracy curves) and
// a grid of digit images (misclassified test digits). No fonts, scripts, styles or images are fetched
// (text uses the generic "sans-serif" family), nothing random or time-dependent goes in, and numbers are
// rounded to 0.01 px, so the same data always gives the same bytes. All text is XML-escaped.
//
// Browser-safe: this module only builds strings; write them with writeFileAtomic (runtime/fsAtomic.ts)
// in Node, or put them in the DOM.

export interface Series {
  readonly name: string;
  /** [x, y] pairs, drawn in the given order; a non-finite value breaks the line there. */
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Pixels; default 640 × 400. */
  readonly width?: number;
  readonly height?: number;
}

/** One chart: title, legend, axes with round-number ticks and grid lines, one polyline per series. */
export function lineChartSvg(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  return svgDocument(width, height, options.title, renderChart(options, width, height));
}

export interface HistoryEntry {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly testLoss?: number;
  readonly trainAccuracy?: number;
  readonly testAccuracy?: number;
}

export interface TrainingCurvesOptions {
  /** Put before each panel's title, e.g. the model's name. */
  readonly title?: string;
  /** Size of one panel; default 480 × 360. */
  readonly panelWidth?: number;
  readonly panelHeight?: number;
}

/**
 * Loss (train, and test when present) per epoch on the left, accuracy on the right; the accuracy panel
 * is left out when no entry has an accuracy. Accuracies are plotted as given (fractions stay fractions).
 */
export function trainingCurvesSvg(history: readonly HistoryEntry[], options: TrainingCurvesOptions = {}): string {
  const pw = options.panelWidth ?? 480;
  const ph = options.panelHeight ?? 360;
  const prefix = options.title !== undefined && options.title !== "" ? `${options.title}: ` : "";
  const pick = (name: string, key: keyof HistoryEntry): Series[] => {
    const points: [number, number][] = [];
    for (const h of history) {
      const v = h[key];
      if (typeof v === "number") points.push([h.epoch, v]);
    }
    return points.length > 0 ? [{ name, points }] : [];
  };
  const loss = [...pick("train", "trainLoss"), ...pick("test", "testLoss")];
  const accuracy = [...pick("train", "trainAccuracy"), ...pick("test", "testAccuracy")];
  const panels = [renderChart({ title: `${prefix}loss`, xLabel: "epoch", yLabel: "loss", series: loss }, pw, ph)];
  if (accuracy.length > 0) {
    const right = renderChart({ title: `${prefix}accuracy`, xLabel: "epoch", yLabel: "accuracy", series: accuracy }, pw, ph);
    panels.push(`<g transform="translate(${pw},0)">${right}</g>`);
  }
  return svgDocument(pw * panels.length, ph, `${prefix}training curves`, panels.join(""));
}

export interface DigitImage {
  /** side × side intensities, row-major (784 for MNIST), 0 = background; 0..1 or 0..255. */
  readonly pixels: ArrayLike<number>;
  readonly label: number;
  readonly predicted: number;
}

export interface DigitGridOptions {
  /** Images per row; default 10. */
  readonly columns?: number;
  /** Screen pixels per image pixel; default 3. */
  readonly scale?: number;
  /** The intensity drawn black; default 255 if any pixel exceeds 1, else 1. */
  readonly maxValue?: number;
  readonly title?: string;
}

const GREY_LEVELS = 15;

/**
 * Digits as a grid of small images, dark ink on white, each captioned "label→predicted". Intensities are
 * quantized to 16 grey levels and each level of an image is one <path> of horizontal runs, which keeps a
 * grid of 100 MNIST test digits around 100 KB.
 */
export function digitGridSvg(images: readonly DigitImage[], options: DigitGridOptions = {}): string {
  const columns = Math.max(1, Math.floor(options.columns ?? 10));
  const scale = options.scale ?? 3;
  const title = options.title ?? `${images.length} misclassified digit${images.length === 1 ? "" : "s"} (label→predicted)`;
  const margin = 10;
  const titleHeight = 28;
  if (images.length === 0) {
    const w = 320;
    const h = 60;
    return svgDocument(w, h, title, `${text(w / 2, 20, title, 'text-anchor="middle" font-size="14"')}${text(w / 2, 44, "nothing to show", 'text-anchor="middle" fill="#666"')}`);
  }
  const side = Math.round(Math.sqrt(images[0].pixels.length));
  images.forEach((img, i) => {
    if (img.pixels.length !== side * side || side === 0) {
      throw new Error(`digitGridSvg: image ${i} has ${img.pixels.length} pixels, expected ${side * side} (a square of side ${side}, like image 0)`);
    }
  });
  let maxValue = options.maxValue;
  if (maxValue === undefined) {
    maxValue = 1;
    for (const img of images) for (let i = 0; i < img.pixels.length; i++) if (img.pixels[i] > 1) maxValue = 255;
  }
  const cell = side * scale;
  const cellW = cell + 8;
  const cellH = cell + 22;
  const rows = Math.ceil(images.length / columns);
  const cols = Math.min(columns, images.length);
  const width = 2 * margin + cols * cellW;
  const height = titleHeight + margin + rows * cellH;
  const parts: string[] = [text(width / 2, 19, title, 'text-anchor="middle" font-size="14"')];
  images.forEach((img, index) => {
    const x = margin + (index % columns) * cellW + 4;
    const y = titleHeight + Math.floor(index / columns) * cellH;
    parts.push(`<g transform="translate(${x},${y})">`);
    parts.push(`<rect x="-0.5" y="-0.5" width="${cell + 1}" height="${cell + 1}" fill="#fff" stroke="#ccc"/>`);
    parts.push(`<g transform="scale(${num(scale)}) translate(0,0.5)" stroke-width="1" fill="none" shape-rendering="crispEdges">${digitPaths(img.pixels, side, maxValue!)}</g>`);
    parts.push(text(cell / 2, cell + 15, `${img.label}→${img.predicted}`, 'text-anchor="middle"'));
    parts.push("</g>");
  });
  return svgDocument(width, height, title, parts.join(""));
}

/**
 * One stroked <path> per grey level, each horizontal run of pixels of that level one `M x y h len`
 * segment: a 1-unit-wide butt-capped stroke along y + 0.5 (the caller's group is shifted down by 0.5)
 * covers exactly the pixels [x, x + len) × [y, y + 1).
 */
function digitPaths(pixels: ArrayLike<number>, side: number, maxValue: number): string {
  const runs: string[] = new Array(GREY_LEVELS + 1).fill("");
  const level = (v: number) => {
    const q = Math.round((v / maxValue) * GREY_LEVELS);
    return Number.isFinite(q) ? Math.min(GREY_LEVELS, Math.max(0, q)) : 0;
  };
  for (let y = 0; y < side; y++) {
    let x = 0;
    while (x < side) {
      const q = level(pixels[y * side + x]);
      let end = x + 1;
      while (end < side && level(pixels[y * side + end]) === q) end++;
      if (q > 0) runs[q] += `M${x} ${y}h${end - x}`;
      x = end;
    }
  }
  let out = "";
  for (let q = 1; q <= GREY_LEVELS; q++) {
    if (runs[q] === "") continue;
    const g = Math.round(255 * (1 - q / GREY_LEVELS)).toString(16).padStart(2, "0");
    out += `<path stroke="#${g}${g}${g}" d="${runs[q]}"/>`;
  }
  return out;
}

// ── chart rendering ──────────────────────────────────────────────────────────────────────────────────

/** Tableau 10: distinguishable, and the usual defaults of plotting libraries. */
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const CHAR_WIDTH = 7; // an estimate for 12px sans-serif, for laying out the legend
const MAX_MARKERS = 60; // series with at most this many points also get a dot per point

/** A chart's elements for a box of width × height at the origin. */
function renderChart(o: LineChartOptions, width: number, height: number): string {
  const out: string[] = [];
  out.push(text(width / 2, 20, o.title, 'text-anchor="middle" font-size="14" font-weight="bold"'));

  // Scales first: the margins make room for the widest tick labels.
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of o.series) {
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  const xAxis = niceAxis(xs, xs.length > 0 && xs.every(Number.isInteger));
  const yAxis = niceAxis(ys, false);
  const widestY = Math.max(...yAxis.ticks.map((t) => t.label.length));
  const left = Math.max(56, 34 + widestY * CHAR_WIDTH);
  const right = width - Math.max(16, (xAxis.ticks[xAxis.ticks.length - 1].label.length * CHAR_WIDTH) / 2 + 4);

  // Legend: swatch + name, in rows below the title.
  let lx = left;
  let ly = 38;
  o.series.forEach((s, i) => {
    const w = 28 + s.name.length * CHAR_WIDTH + 14;
    if (lx > left && lx + w > right) {
      lx = left;
      ly += 16;
    }
    const color = PALETTE[i % PALETTE.length];
    out.push(`<line x1="${num(lx)}" y1="${num(ly - 4)}" x2="${num(lx + 22)}" y2="${num(ly - 4)}" stroke="${color}" stroke-width="2"/>`);
    out.push(text(lx + 28, ly, s.name));
    lx += w;
  });
  const top = (o.series.length > 0 ? ly : 30) + 14;
  const bottom = height - 44;

  const sx = (x: number) => left + ((x - xAxis.lo) / (xAxis.hi - xAxis.lo)) * (right - left);
  const sy = (y: number) => bottom - ((y - yAxis.lo) / (yAxis.hi - yAxis.lo)) * (bottom - top);

  // Grid, ticks and axes.
  for (const t of yAxis.ticks) {
    const y = num(sy(t.value));
    out.push(`<line x1="${num(left)}" y1="${y}" x2="${num(right)}" y2="${y}" stroke="#e6e6e6"/>`);
    out.push(text(left - 6, sy(t.value) + 4, t.label, 'text-anchor="end"'));
  }
  for (const t of xAxis.ticks) {
    const x = num(sx(t.value));
    out.push(`<line x1="${x}" y1="${num(top)}" x2="${x}" y2="${num(bottom)}" stroke="#e6e6e6"/>`);
    out.push(text(sx(t.value), bottom + 16, t.label, 'text-anchor="middle"'));
  }
  out.push(`<path d="M${num(left)} ${num(top)}V${num(bottom)}H${num(right)}" fill="none" stroke="#333"/>`);
  out.push(text((left + right) / 2, bottom + 34, o.xLabel, 'text-anchor="middle"'));
  const yMid = num((top + bottom) / 2);
  out.push(`<text x="16" y="${yMid}" transform="rotate(-90 16 ${yMid})" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);

  // Data: one polyline per run of finite points, dots when there are few points.
  o.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const runs: string[][] = [[]];
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) runs[runs.length - 1].push(`${num(sx(x))},${num(sy(y))}`);
      else if (runs[runs.length - 1].length > 0) runs.push([]);
    }
    const name = escapeXml(s.name);
    out.push(`<g stroke="${color}" fill="none" data-series="${name}">`);
    for (const run of runs) {
      if (run.length > 1) out.push(`<polyline points="${run.join(" ")}" stroke-width="2" stroke-linejoin="round"/>`);
    }
    if (s.points.length <= MAX_MARKERS) {
      for (const run of runs) {
        for (const p of run) {
          const [cx, cy] = p.split(",");
          out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
        }
      }
    }
    out.push("</g>");
  });
  return out.join("");
}

interface Axis {
  readonly lo: number;
  readonly hi: number;
  readonly ticks: readonly { value: number; label: string }[];
}

/**
 * Round-number ticks covering the values: about 5 steps of 1, 2 or 5 × 10^k (the "nice numbers" of
 * Heckbert, Graphics Gems I), with the axis extended to whole steps. Integer data (epochs) gets integer
 * steps. Empty data gives 0..1; a single value is padded on both sides.
 */
export function niceAxis(values: readonly number[], integer = false): Axis {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) {
    min = 0;
    max = 1;
  } else if (min === max) {
    const pad = integer ? 1 : min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const f = raw / magnitude;
  let step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * magnitude;
  if (integer && step < 1) step = 1;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const exponential = decimals > 6 || Math.max(Math.abs(first), Math.abs(last)) * step >= 1e7;
  const ticks: { value: number; label: string }[] = [];
  for (let k = first; k <= last; k++) {
    const value = Number((k * step).toFixed(Math.min(20, decimals)));
    const label = exponential ? Number(value.toPrecision(6)).toExponential() : value.toFixed(decimals);
    ticks.push({ value, label: label === "-0" || /^-0\.0*$/.test(label) ? label.slice(1) : label });
  }
  return { lo: ticks[0].value, hi: ticks[ticks.length - 1].value, ticks };
}

// ── SVG text ─────────────────────────────────────────────────────────────────────────────────────────

function svgDocument(width: number, height: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="sans-serif" font-size="12">\n` +
    `<title>${escapeXml(title)}</title>\n` +
    `<rect width="100%" height="100%" fill="#fff"/>\n` +
    `${body}\n</svg>\n`
  );
}

function text(x: number, y: number, content: string, attrs = ""): string {
  return `<text x="${num(x)}" y="${num(y)}"${attrs === "" ? "" : ` ${attrs}`}>${escapeXml(content)}</text>`;
}

/** A coordinate rounded to 0.01, without trailing zeros (and never "-0"). */
function num(x: number): string {
  const r = Math.round(x * 100) / 100;
  return String(r === 0 ? 0 : r);
}

/**
 * Text safe inside an element or a quoted attribute: & < > " ' escaped, and characters XML 1.0 forbids
 * (control characters, lone surrogates, U+FFFE/U+FFFF) replaced with U+FFFD.
 */
export function escapeXml(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x26) out += "&amp;";
    else if (c === 0x3c) out += "&lt;";
    else if (c === 0x3e) out += "&gt;";
    else if (c === 0x22) out += "&quot;";
    else if (c === 0x27) out += "&#39;";
    else if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) out += "\ufffd";
    else if (c === 0xfffe || c === 0xffff) out += "\ufffd";
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
      } else out += "\ufffd";
    } else if (c >= 0xdc00 && c <= 0xdfff) out += "\ufffd";
    else out += s[i];
  }
  return out;
}
