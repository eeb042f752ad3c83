// runtime/plot.ts: every SVG is well-formed XML (checked by a small scanner below, which also collects the
// elements so tests can count them), carries the data it was given, escapes text, fetches nothing, and
// is the same text for the same input.
import { describe, expect, it } from "vitest";
import { digitGridSvg, escapeXml, lineChartSvg, niceAxis, trainingCurvesSvg, type DigitImage } from "../../runtime/plot.js";

// ── a minimal XML well-formedness checker ────────────────────────────────────────────────────────────

interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  /** Decoded text directly inside the element. */
  text: string;
}

const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r";
const isNameChar = (c: string) =>
  (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c === "-" || c === "_" || c === ":" || c === ".";
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/**
 * Checks the document is well-formed (one root element, tags balanced and properly nested, attributes
 * quoted and unique, no raw "<" in text or attribute values, every "&" a known entity or a character
 * reference) and returns its elements in document order. Throws with the offset of the first problem.
 */
function parseXml(doc: string): XmlElement[] {
  const elements: XmlElement[] = [];
  const stack: XmlElement[] = [];
  let roots = 0;
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed at ${i}: ${why} (near ${JSON.stringify(doc.slice(Math.max(0, i - 20), i + 20))})`);
  };
  const decode = (end: string): string => {
    // Text up to (not including) the first `end` character, with references decoded.
    let out = "";
    while (i < doc.length && doc[i] !== end) {
      const c = doc[i];
      if (c === "<") fail("raw < in text or attribute value");
      if (c === "&") {
        const semi = doc.indexOf(";", i);
        if (semi < 0) fail("unterminated reference");
        const ref = doc.slice(i + 1, semi);
        if (ref.startsWith("#x")) out += String.fromCodePoint(parseInt(ref.slice(2), 16));
        else if (ref.startsWith("#")) out += String.fromCodePoint(parseInt(ref.slice(1), 10));
        else if (ref in ENTITIES) out += ENTITIES[ref];
        else fail(`unknown entity &${ref};`);
        i = semi + 1;
      } else {
        const code = c.charCodeAt(0);
        if (code < 0x20 && !isSpace(c)) fail("control character");
        out += c;
        i++;
      }
    }
    return out;
  };
  const name = (): string => {
    const start = i;
    while (i < doc.length && isNameChar(doc[i])) i++;
    if (i === start) fail("expected a name");
    return doc.slice(start, i);
  };
  while (i < doc.length) {
    if (doc[i] !== "<") {
      const text = decode("<");
      if (stack.length > 0) stack[stack.length - 1].text += text;
      else if (text.trim() !== "") fail("text outside the root element");
      continue;
    }
    if (doc.startsWith("<!--", i)) {
      const end = doc.indexOf("-->", i);
      if (end < 0) fail("unterminated comment");
      i = end + 3;
    } else if (doc.startsWith("<?", i)) {
      const end = doc.indexOf("?>", i);
      if (end < 0) fail("unterminated processing instruction");
      i = end + 2;
    } else if (doc.startsWith("</", i)) {
      i += 2;
      const n = name();
      while (isSpace(doc[i])) i++;
      if (doc[i] !== ">") fail("expected > after an end tag");
      i++;
      const open = stack.pop();
      if (open === undefined) fail(`</${n}> closes nothing`);
      else if (open.name !== n) fail(`</${n}> closes <${open.name}>`);
    } else {
      i++;
      const element: XmlElement = { name: name(), attrs: {}, text: "" };
      const attrs = element.attrs as Record<string, string>;
      if (stack.length === 0 && roots++ > 0) fail("a second root element");
      elements.push(element);
      for (;;) {
        const hadSpace = isSpace(doc[i]);
        while (isSpace(doc[i])) i++;
        if (doc.startsWith("/>", i)) {
          i += 2;
          break;
        }
        if (doc[i] === ">") {
          i++;
          stack.push(element);
          break;
        }
        if (!hadSpace) fail("expected whitespace before an attribute");
        const attr = name();
        if (attr in attrs) fail(`duplicate attribute ${attr}`);
        if (doc[i] !== "=") fail("expected =");
        i++;
        const quote = doc[i];
        if (quote !== '"' && quote !== "'") fail("unquoted attribute value");
        i++;
        attrs[attr] = decode(quote);
        if (doc[i] !== quote) fail("unterminated attribute value");
        i++;
      }
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1].name}> is never closed`);
  if (roots !== 1) fail("no root element");
  return elements;
}

describe("the well-formedness checker itself", () => {
  it("accepts well-formed documents and rejects broken ones", () => {
    expect(parseXml('<a x="1"><b/>t &amp; &#8594;<c y=\'2\'>u</c></a>').map((e) => e.name)).toEqual(["a", "b", "c"]);
    for (const bad of ["<a>", "<a></b>", "<a><b></a></b>", "<a x=1/>", '<a x="1" x="2"/>', "<a>&nbsp;</a>", "<a>1 < 2</a>", '<a x="<"/>', "<a/><b/>", "text", "<a>&amp</a>"]) {
      expect(() => parseXml(bad), bad).toThrow(/not well-formed/);
    }
  });
});

// ── charts ───────────────────────────────────────────────────────────────────────────────────────────

const elementsNamed = (els: XmlElement[], name: string) => els.filter((e) => e.name === name);

/** A self-contained SVG: well-formed, the SVG namespace, nothing fetched, no scripts or styles. */
function checkSvg(svg: string): XmlElement[] {
  const els = parseXml(svg);
  expect(els[0].name).toBe("svg");
  expect(els[0].attrs.xmlns).toBe("http://www.w3.org/2000/svg");
  expect(svg.replace("http://www.w3.org/2000/svg", "")).not.toMatch(/https?:|href|url\(|@import/);
  for (const e of els) expect(["svg", "title", "rect", "g", "line", "path", "polyline", "circle", "text"]).toContain(e.name);
  return els;
}

describe("lineChartSvg", () => {
  const chart = () =>
    lineChartSvg({
      title: "Loss <per> epoch & more",
      xLabel: "epoch",
      yLabel: "loss",
      series: [
        { name: "train", points: [[1, 0.9], [2, 0.5], [3, 0.31], [4, 0.25]] },
        { name: 'test "held-out"', points: [[1, 0.95], [2, 0.6], [3, 0.4], [4, 0.38]] },
      ],
    });

  it("is a well-formed, self-contained SVG with title, labels, legend, one polyline and dots per series", () => {
    const svg = chart();
    const els = checkSvg(svg);
    expect(els[0].attrs).toMatchObject({ width: "640", height: "400", viewBox: "0 0 640 400" });
    expect(elementsNamed(els, "title")[0].text).toBe("Loss <per> epoch & more");
    const texts = elementsNamed(els, "text").map((e) => e.text);
    expect(texts).toEqual(expect.arrayContaining(["Loss <per> epoch & more", "train", 'test "held-out"', "epoch", "loss"]));
    // Nice ticks: x 1..4 by 1; y 0.2..1.0 by 0.1.
    expect(texts).toEqual(expect.arrayContaining(["1", "2", "3", "4", "0.2", "0.5", "1.0"]));
    const groups = els.filter((e) => e.attrs["data-series"] !== undefined);
    expect(groups.map((g) => g.attrs["data-series"])).toEqual(["train", 'test "held-out"']);
    const lines = elementsNamed(els, "polyline");
    expect(lines.length).toBe(2);
    expect(lines.map((l) => l.attrs.points.split(" ").length)).toEqual([4, 4]);
    expect(elementsNamed(els, "circle").length).toBe(8);
  });

  it("maps data to the plot area: higher values higher up, later epochs further right", () => {
    const pts = elementsNamed(parseXml(chart()), "polyline")[0].attrs.points.split(" ").map((p) => p.split(",").map(Number));
    expect(pts.length).toBeGreaterThan(2);
    for (let k = 1; k < pts.length; k++) {
      expect(pts[k][0]).toBeGreaterThan(pts[k - 1][0]);
      expect(pts[k][1]).toBeGreaterThan(pts[k - 1][1]); // loss falls, so y (downwards) grows
    }
  });

  it("is deterministic", () => {
    expect(chart()).toBe(chart());
  });

  it("breaks a line at non-finite values and survives empty, flat and single-point data", () => {
    const svg = lineChartSvg({
      title: "t",
      xLabel: "x",
      yLabel: "y",
      series: [
        { name: "gappy", points: [[0, 1], [1, 2], [2, NaN], [3, 1], [4, 0]] },
        { name: "flat", points: [[0, 3], [4, 3]] },
        { name: "single", points: [[2, 5]] },
        { name: "empty", points: [] },
      ],
    });
    const els = checkSvg(svg);
    expect(elementsNamed(els, "polyline").length).toBe(3); // gappy ×2, flat; a single point is a dot
    expect(svg).not.toMatch(/NaN|Infinity/);
    const none = lineChartSvg({ title: "nothing", xLabel: "x", yLabel: "y", series: [] });
    checkSvg(none);
    expect(none).not.toMatch(/NaN|Infinity/);
  });

  it("escapes text and replaces characters XML cannot hold", () => {
    const svg = lineChartSvg({ title: "a\u0001b\ud800c", xLabel: "<x>", yLabel: "'y'", series: [{ name: "&", points: [[0, 0]] }] });
    const els = checkSvg(svg);
    expect(elementsNamed(els, "title")[0].text).toBe("a\ufffdb\ufffdc");
    expect(elementsNamed(els, "text").map((e) => e.text)).toEqual(expect.arrayContaining(["<x>", "'y'", "&"]));
    expect(escapeXml(`<a href="x">'&'</a> 😀`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; 😀");
  });
});

describe("niceAxis", () => {
  const labels = (values: number[], integer = false) => niceAxis(values, integer).ticks.map((t) => t.label);
  it("picks round steps of 1, 2 or 5 × 10^k covering the data", () => {
    expect(labels([0.13, 0.87])).toEqual(["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"]);
    expect(labels([0.9, 0.985])).toEqual(["0.90", "0.92", "0.94", "0.96", "0.98", "1.00"]);
    expect(labels([-3, 17])).toEqual(["-5", "0", "5", "10", "15", "20"]);
    expect(labels([1234, 98765])).toEqual(["0", "20000", "40000", "60000", "80000", "100000"]);
    expect(niceAxis([0.13, 0.87])).toMatchObject({ lo: 0.1, hi: 0.9 });
    expect(niceAxis([0.05, 0.87])).toMatchObject({ lo: 0, hi: 1 });
  });
  it("uses whole steps for integer data such as epochs, and pads degenerate ranges", () => {
    expect(labels([1, 2, 3], true)).toEqual(["1", "2", "3"]);
    expect(labels([1, 30], true)).toEqual(["0", "5", "10", "15", "20", "25", "30"]);
    expect(labels([1], true)).toEqual(["0", "1", "2"]);
    expect(labels([])).toEqual(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    expect(labels([2, 2])).toEqual(["1.8", "1.9", "2.0", "2.1", "2.2"]);
  });
});

describe("trainingCurvesSvg", () => {
  const history = [
    { epoch: 1, trainLoss: 0.61, testLoss: 0.42, trainAccuracy: 0.83, testAccuracy: 0.88 },
    { epoch: 2, trainLoss: 0.35, testLoss: 0.31, trainAccuracy: 0.9, testAccuracy: 0.91 },
    { epoch: 3, trainLoss: 0.29, testLoss: 0.28, trainAccuracy: 0.92, testAccuracy: 0.925 },
  ];

  it("draws a loss panel and an accuracy panel, each with train and test", () => {
    const svg = trainingCurvesSvg(history, { title: "mnist" });
    const els = checkSvg(svg);
    expect(els[0].attrs).toMatchObject({ width: "960", height: "360" });
    const texts = elementsNamed(els, "text").map((e) => e.text);
    expect(texts).toEqual(expect.arrayContaining(["mnist: loss", "mnist: accuracy", "accuracy"]));
    expect(els.filter((e) => e.attrs["data-series"] !== undefined).map((e) => e.attrs["data-series"])).toEqual(["train", "test", "train", "test"]);
    expect(elementsNamed(els, "polyline").length).toBe(4);
    expect(svg).toBe(trainingCurvesSvg(history, { title: "mnist" }));
  });

  it("draws the loss panel alone when there is no accuracy, and skips missing test values", () => {
    const els = checkSvg(trainingCurvesSvg([{ epoch: 1, trainLoss: 1 }, { epoch: 2, trainLoss: 0.5, testLoss: 0.6 }]));
    expect(els[0].attrs.width).toBe("480");
    expect(els.filter((e) => e.attrs["data-series"] !== undefined).map((e) => e.attrs["data-series"])).toEqual(["train", "test"]);
    expect(elementsNamed(els, "polyline").length).toBe(1); // the test series has one point: a dot
  });
});

// ── digit grids ──────────────────────────────────────────────────────────────────────────────────────

/** A 28×28 "digit": a ring of ink with soft edges, different per seed; 0..1 or 0..255. */
function fakeDigit(seed: number, max = 1): number[] {
  const px: number[] = [];
  const cx = 13.5 + (seed % 3) - 1;
  const r = 6 + (seed % 4);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const d = Math.abs(Math.hypot(x - cx, y - 13.5) - r);
      px.push(d < 1 ? max : d < 2.5 ? Math.round(((2.5 - d) / 1.5) * max * 100) / 100 : 0);
    }
  }
  return px;
}

describe("digitGridSvg", () => {
  const images: DigitImage[] = [
    { pixels: fakeDigit(0), label: 7, predicted: 2 },
    { pixels: fakeDigit(1), label: 4, predicted: 9 },
    { pixels: fakeDigit(2), label: 3, predicted: 5 },
  ];

  it("draws each digit in its cell with a label→predicted caption", () => {
    const svg = digitGridSvg(images, { columns: 2 });
    const els = checkSvg(svg);
    const texts = elementsNamed(els, "text").map((e) => e.text);
    expect(texts).toEqual(["3 misclassified digits (label→predicted)", "7→2", "4→9", "3→5"]);
    // 2 columns × 2 rows of cells, 28·3 px images.
    const cells = els.filter((e) => e.name === "g" && e.attrs.transform?.startsWith("translate("));
    expect(cells.map((c) => c.attrs.transform)).toEqual(["translate(14,28)", "translate(106,28)", "translate(14,134)"]);
    expect(els[0].attrs).toMatchObject({ width: "204", height: "250" });
    expect(svg).toBe(digitGridSvg(images, { columns: 2 }));
  });

  it("covers exactly the inked pixels, darkest for full ink", () => {
    const pixels = new Array(784).fill(0);
    pixels[0] = 1; // full ink at (0, 0)
    pixels[1] = 1;
    pixels[28 * 5 + 3] = 0.5; // half ink at (3, 5)
    const els = checkSvg(digitGridSvg([{ pixels, label: 1, predicted: 7 }]));
    // A stroke of width 1 along y + 0.5 (the group is shifted by 0.5) covers pixels [x, x + len) × [y, y + 1).
    const group = els.find((e) => e.attrs["shape-rendering"] === "crispEdges")!;
    expect(group.attrs).toMatchObject({ transform: "scale(3) translate(0,0.5)", "stroke-width": "1", fill: "none" });
    const paths = elementsNamed(els, "path");
    expect(paths.map((p) => [p.attrs.stroke, p.attrs.d])).toEqual([
      ["#777777", "M3 5h1"], // level round(0.5·15) = 8 of 15
      ["#000000", "M0 0h2"],
    ]);
  });

  it("reads 0..255 intensities the same as 0..1", () => {
    const bytes = Uint8Array.from(fakeDigit(5, 255), Math.round);
    const a = digitGridSvg([{ pixels: Array.from(bytes, (v) => v / 255), label: 1, predicted: 2 }]);
    const b = digitGridSvg([{ pixels: bytes, label: 1, predicted: 2 }]);
    const inkOf = (svg: string) => elementsNamed(parseXml(svg), "path").map((p) => `${p.attrs.stroke} ${p.attrs.d}`);
    expect(inkOf(b)).toEqual(inkOf(a));
  });

  it("keeps 100 digits small", () => {
    const many = Array.from({ length: 100 }, (_, k) => ({ pixels: fakeDigit(k), label: k % 10, predicted: (k + 3) % 10 }));
    const svg = digitGridSvg(many);
    checkSvg(svg);
    expect(svg.length).toBeLessThan(200_000); // ~150 KB for 100 real MNIST test digits
  });

  it("says so when there is nothing to show, and refuses images that are not square", () => {
    const els = checkSvg(digitGridSvg([]));
    expect(elementsNamed(els, "text").map((e) => e.text)).toEqual(["0 misclassified digits (label→predicted)", "nothing to show"]);
    expect(() => digitGridSvg([images[0], { pixels: new Array(783).fill(0), label: 1, predicted: 2 }])).toThrow(
      "digitGridSvg: image 1 has 783 pixels, expected 784 (a square of side 28, like image 0)",
    );
  });
});
