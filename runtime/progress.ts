// Progress reporting for a training loop, one Progress per epoch (or any run of steps with a known count).
//
// On a terminal (stream.isTTY) one line is redrawn in place, at most every `redrawIntervalMs` (100 ms,
// i.e. ≤ 10 redraws/s, so drawing costs next to nothing however fast the steps are):
//
//   epoch 2/5 [███████░░░░░░░░░] 312/625 1,234 steps/s ETA 0:00 loss 0.3412   (80 columns)
//
// Anywhere else (a pipe, a CI log) nothing is written per step: `done()` and `log()` each write one
// line, so a log holds one line per epoch:
//
//   epoch 2/5: 625 steps in 0.5s (1,234 steps/s), loss 0.3412, test loss 0.3301, accuracy 90.12%
//
// The loss shown is the running mean of every loss passed to `tick` since the Progress was created,
// weighted by `n` (so with per-step batch-mean losses it is the epoch's mean training loss so far, the
// number `done` reports and `meanLoss` returns); it is exact and deterministic, unlike a moving average.
// Steps/s and the ETA are measured from the moment the Progress is created.
//
// Browser-safe: no Node imports. Numbers are formatted without locale APIs, so output is the same on
// every machine; time comes from `now` (milliseconds), which tests replace.

/** Where output goes: process.stdout and process.stderr fit, as does any object with `write`. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  /** Terminal width; 80 when unknown. */
  readonly columns?: number;
  write(s: string): unknown;
}

export interface ProgressOptions {
  /** Steps expected (e.g. batches per epoch). */
  readonly total: number;
  /** Shown first, e.g. "epoch 2/5". */
  readonly label?: string;
  /** Default: process.stdout in Node, console.log elsewhere. */
  readonly stream?: ProgressStream;
  /** A clock in milliseconds. Default: performance.now. */
  readonly now?: () => number;
  /** Overrides stream.isTTY: true draws the bar, false writes plain lines. */
  readonly tty?: boolean;
  /** Minimum time between redraws of the bar, in ms. Default 100. */
  readonly redrawIntervalMs?: number;
}

export interface Progress {
  /** Records `n` steps (default 1) whose mean loss is `loss`; redraws the bar when due (terminal only). */
  tick(loss: number, n?: number): void;
  /** Ends the bar and writes the summary line: steps, time, steps/s, mean loss, then `summary` if given. Later calls do nothing. */
  done(summary?: string): void;
  /** Writes a line of its own without garbling the bar (which is redrawn below it). */
  log(line: string): void;
  /** Steps ticked so far. */
  readonly count: number;
  /** Mean of the ticked losses, weighted by n; NaN before the first tick. */
  readonly meanLoss: number;
}

const CLEAR_TO_END = "\x1b[K";
const MAX_BAR = 30;
const MIN_BAR = 5;
/** Room kept beside the bar for " 12,345 steps/s", " ETA 1:23:45" and " loss -1.234e+12". */
const RESERVED_FOR_NUMBERS = 15 + 12 + 16;

export function createProgress(options: ProgressOptions): Progress {
  const total = options.total;
  if (!(Number.isFinite(total) && total >= 0)) throw new Error(`progress total must be a finite number >= 0, got ${String(total)}`);
  const label = options.label ?? "";
  const stream = options.stream ?? defaultStream();
  const now = options.now ?? (() => performance.now());
  const tty = options.tty ?? stream.isTTY === true;
  const interval = options.redrawIntervalMs ?? 100;
  const start = now();

  let count = 0;
  let lossSum = 0;
  let lastDraw = -Infinity;
  let drawnCount = 0;
  let barShown = false; // the bar is on screen and the cursor is on its line
  let finished = false;

  const meanLoss = () => (count > 0 ? lossSum / count : NaN);
  const elapsedSeconds = (t: number) => Math.max(0, t - start) / 1000;

  // The bar's width is fixed when the Progress is created, from the terminal width less room for the
  // widest text expected beside it, so the bar does not jump as numbers change length; the count is
  // padded to the total's width for the same reason. A line that still does not fit is cut.
  const columns = stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
  const width = columns - 1; // a line as wide as the terminal wraps, and "\r" no longer returns to its start
  const totalText = groupDigits(total);
  const reserved = (label === "" ? 0 : label.length + 1) + 3 + (2 * totalText.length + 1) + RESERVED_FOR_NUMBERS;
  const barWidth = Math.min(MAX_BAR, width - reserved) >= MIN_BAR ? Math.min(MAX_BAR, width - reserved) : 0;

  function barLine(t: number): string {
    const seconds = elapsedSeconds(t);
    const rate = seconds > 0 ? count / seconds : NaN;
    const parts: string[] = label === "" ? [] : [label];
    if (barWidth > 0) {
      const fraction = total > 0 ? Math.min(1, count / total) : 1;
      const filled = Math.floor(fraction * barWidth);
      parts.push(`[${"█".repeat(filled)}${"░".repeat(barWidth - filled)}]`);
    }
    parts.push(`${groupDigits(count).padStart(totalText.length)}/${totalText}`, `${formatRate(rate)} steps/s`);
    const remaining = Math.max(0, total - count);
    parts.push(`ETA ${remaining === 0 ? "0:00" : rate > 0 ? formatClock(remaining / rate) : "--:--"}`);
    if (count > 0) parts.push(`loss ${formatLoss(meanLoss())}`);
    const line = parts.join(" ");
    return line.length > width ? line.slice(0, Math.max(0, width)) : line;
  }

  /** Output that first erases the bar, if it is on screen. */
  function erase(): string {
    const out = barShown ? `\r${CLEAR_TO_END}` : "";
    barShown = false;
    return out;
  }

  /** Output that draws the bar (again) for time t. */
  function drawn(t: number): string {
    barShown = true;
    lastDraw = t;
    drawnCount = count;
    return `\r${barLine(t)}${CLEAR_TO_END}`;
  }

  function summaryLine(summary: string | undefined): string {
    const seconds = elapsedSeconds(now());
    const steps = count === total ? `${groupDigits(count)} steps` : `${groupDigits(count)}/${groupDigits(total)} steps`;
    let line = `${label === "" ? "" : `${label}: `}${steps} in ${formatDuration(seconds)}`;
    if (count > 0 && seconds > 0) line += ` (${formatRate(count / seconds)} steps/s)`;
    if (count > 0) line += `, loss ${formatLoss(meanLoss())}`;
    if (summary !== undefined && summary !== "") line += `, ${summary}`;
    return line;
  }

  return {
    tick(loss: number, n = 1): void {
      if (!(Number.isInteger(n) && n >= 0)) throw new Error(`progress tick: n must be a non-negative integer, got ${String(n)}`);
      count += n;
      if (n > 0) lossSum += loss * n;
      if (!tty || finished) return;
      const t = now();
      // Draw the first tick, then at most once per interval, and the tick that completes the total.
      if (!barShown || t - lastDraw >= interval || (count >= total && drawnCount < total)) stream.write(drawn(t));
    },
    done(summary?: string): void {
      if (finished) return;
      finished = true;
      stream.write(`${erase()}${summaryLine(summary)}\n`);
    },
    log(line: string): void {
      const redraw = barShown && !finished;
      stream.write(`${erase()}${line}\n${redraw ? drawn(now()) : ""}`);
    },
    get count() {
      return count;
    },
    get meanLoss() {
      return meanLoss();
    },
  };
}

/** process.stdout where there is one; otherwise (a browser) console.log, one call per line. */
function defaultStream(): ProgressStream {
  const proc = (globalThis as { process?: { stdout?: ProgressStream } }).process;
  if (proc?.stdout) return proc.stdout;
  let pending = "";
  return {
    isTTY: false,
    write(s: string) {
      pending += s;
      let i: number;
      while ((i = pending.indexOf("\n")) >= 0) {
        console.log(pending.slice(0, i));
        pending = pending.slice(i + 1);
      }
    },
  };
}

// ── formatting (exported for tests and for training loops that print their own lines) ───────────────

/** 1234567 → "1,234,567" (no locale: the same everywhere). */
export function groupDigits(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? "-" : "";
  const digits = String(Math.round(Math.abs(n)));
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
    out += digits[i];
  }
  return sign + out;
}

/** Steps per second: "1,234" from 100 up, "12.3" from 10, "1.23" below, "--" when unknown. */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return "--";
  // Thresholds on the rounded value, so 9.999 reads "10.0", not "10.00".
  if (rate >= 99.95) return groupDigits(rate);
  if (rate >= 9.995) return rate.toFixed(1);
  return rate.toFixed(2);
}

/** Four significant digits ("0.3412", "12.35", "1.235e+5"); NaN and ±Infinity as themselves. */
export function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toPrecision(4) : String(loss);
}

/**
 * A loss or metric in an epoch's line: four decimals ("0.3412", "12.3456") while that reads well, else
 * four significant digits with an exponent ("5.380e+19", not twenty digits and ".0000").
 */
export function formatMetric(x: number): string {
  return Number.isFinite(x) && Math.abs(x) < 1e5 && (x === 0 || Math.abs(x) >= 1e-4) ? x.toFixed(4) : Number.isFinite(x) ? x.toExponential(3) : String(x);
}

/** Seconds as "m:ss", or "h:mm:ss" from one hour (rounded to the nearest second). */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A duration: "0.5s", "12.3s" under a minute, then "m:ss" / "h:mm:ss". */
export function formatDuration(seconds: number): string {
  return seconds < 59.95 ? `${seconds.toFixed(1)}s` : formatClock(seconds);
}
