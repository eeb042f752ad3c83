// runtime/progress.ts with an injected clock and stream: exact output on a terminal (redrawn, throttled
// bar) and elsewhere (one line per done/log), and the number formats. No real time is involved.
import { describe, expect, it } from "vitest";
import {
  createProgress,
  formatClock,
  formatDuration,
  formatLoss,
  formatMetric,
  formatRate,
  groupDigits,
  type ProgressOptions,
} from "../../runtime/progress.js";

const CLR = "\x1b[K";

/** A stream recording each write, and a clock the test moves. */
function harness(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  let t = 1000; // any origin: only differences matter
  const clock = {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
  const stream = { isTTY, columns, write: (s: string) => void writes.push(s) };
  return { writes, clock, stream };
}

/** 100 steps, 20 ms each (50 steps/s), losses alternating 1 and 0.5. */
function runEpoch(options: Omit<ProgressOptions, "total" | "now" | "stream">, isTTY: boolean, columns?: number) {
  const h = harness(isTTY, columns);
  const progress = createProgress({ total: 100, label: "epoch 1/3", stream: h.stream, now: h.clock.now, ...options });
  const afterTick: number[] = [];
  for (let k = 1; k <= 100; k++) {
    h.clock.advance(20);
    progress.tick(k % 2 === 1 ? 1 : 0.5);
    afterTick.push(h.writes.length);
  }
  return { ...h, progress, afterTick };
}

describe("progress on a terminal", () => {
  it("redraws one line in place, at most every 100 ms, and ends it with the summary", () => {
    const { writes, progress, afterTick } = runEpoch({}, true, 80);
    // Drawn on the first tick, then every 5th tick (100 ms at 20 ms per step): ticks 1, 6, ..., 96, and on
    // reaching the total: 21 draws for 100 ticks.
    expect(writes.length).toBe(21);
    expect(afterTick.slice(0, 7)).toEqual([1, 1, 1, 1, 1, 2, 2]);
    expect(writes[0]).toBe(`\repoch 1/3 [░░░░░░░░░░░░░░░░]   1/100 50.0 steps/s ETA 0:02 loss 1.000${CLR}`);
    expect(writes[10]).toBe(`\repoch 1/3 [████████░░░░░░░░]  51/100 50.0 steps/s ETA 0:01 loss 0.7549${CLR}`);
    expect(writes[20]).toBe(`\repoch 1/3 [████████████████] 100/100 50.0 steps/s ETA 0:00 loss 0.7500${CLR}`);
    for (const w of writes) expect(w.length - 1 - CLR.length).toBeLessThan(80); // never wraps

    progress.done("test loss 0.7, accuracy 81.00%");
    expect(writes[21]).toBe(`\r${CLR}epoch 1/3: 100 steps in 2.0s (50.0 steps/s), loss 0.7500, test loss 0.7, accuracy 81.00%\n`);
    progress.done("again");
    progress.tick(1);
    expect(writes.length).toBe(22); // done is final
    expect(progress.count).toBe(101);
  });

  it("log() writes its line above the bar and redraws the bar", () => {
    const h = harness(true, 80);
    const progress = createProgress({ total: 10, label: "epoch 1/1", stream: h.stream, now: h.clock.now });
    progress.log("before any step");
    h.clock.advance(500);
    progress.tick(2, 5); // 5 steps of mean loss 2, reported at once
    h.clock.advance(500);
    progress.log("checkpoint saved to run.ckpt");
    expect(h.writes).toEqual([
      "before any step\n",
      `\repoch 1/1 [█████████░░░░░░░░░]  5/10 10.0 steps/s ETA 0:01 loss 2.000${CLR}`,
      `\r${CLR}checkpoint saved to run.ckpt\n\repoch 1/1 [█████████░░░░░░░░░]  5/10 5.00 steps/s ETA 0:01 loss 2.000${CLR}`,
    ]);
  });

  it("shrinks the bar, then drops it, then cuts the line on narrow terminals", () => {
    const line = (columns: number) => {
      const h = harness(true, columns);
      const progress = createProgress({ total: 100, label: "epoch 1/3", stream: h.stream, now: h.clock.now });
      h.clock.advance(20);
      progress.tick(1);
      return h.writes[0].slice(1, -CLR.length);
    };
    expect(line(72)).toBe("epoch 1/3 [░░░░░░░░]   1/100 50.0 steps/s ETA 0:02 loss 1.000");
    expect(line(60)).toBe("epoch 1/3   1/100 50.0 steps/s ETA 0:02 loss 1.000");
    expect(line(30)).toBe("epoch 1/3   1/100 50.0 steps/");
    expect(line(30).length).toBe(29);
  });

  it("shows unknown speed and ETA before time has passed, and no loss before a tick", () => {
    const h = harness(true, 100);
    const progress = createProgress({ total: 3, stream: h.stream, now: h.clock.now });
    progress.tick(NaN, 0);
    expect(h.writes).toEqual([`\r[░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░] 0/3 -- steps/s ETA --:--${CLR}`]);
    progress.done();
    expect(h.writes[1]).toBe(`\r${CLR}0/3 steps in 0.0s\n`);
  });

  it("the tty option overrides the stream's isTTY", () => {
    const h = harness(false, 80);
    const progress = createProgress({ total: 1, stream: h.stream, now: h.clock.now, tty: true });
    progress.tick(1);
    expect(h.writes.length).toBe(1);
    expect(h.writes[0].startsWith("\r")).toBe(true);
  });
});

describe("progress elsewhere (pipes, CI logs)", () => {
  it("writes nothing per step and one line per done()", () => {
    const { writes, progress } = runEpoch({}, false);
    expect(writes).toEqual([]);
    progress.done("test loss 0.7");
    expect(writes).toEqual(["epoch 1/3: 100 steps in 2.0s (50.0 steps/s), loss 0.7500, test loss 0.7\n"]);
  });

  it("log() writes plain lines; an epoch cut short says how far it got", () => {
    const h = harness(false);
    const progress = createProgress({ total: 60_000, label: "epoch 2/5", stream: h.stream, now: h.clock.now });
    progress.log("learning rate 0.001");
    for (let k = 0; k < 1234; k++) {
      h.clock.advance(50);
      progress.tick(0.25);
    }
    progress.done();
    expect(h.writes).toEqual(["learning rate 0.001\n", "epoch 2/5: 1,234/60,000 steps in 1:02 (20.0 steps/s), loss 0.2500\n"]);
  });

  it("the running loss is the mean of the ticks, weighted by n", () => {
    const progress = createProgress({ total: 10, stream: harness(false).stream, now: () => 0 });
    expect(progress.meanLoss).toBeNaN();
    progress.tick(1, 2);
    progress.tick(4);
    expect(progress.meanLoss).toBe(2);
    expect(progress.count).toBe(3);
    expect(() => progress.tick(1, 1.5)).toThrow("progress tick: n must be a non-negative integer, got 1.5");
  });

  it("rejects a bad total", () => {
    expect(() => createProgress({ total: NaN, stream: harness(false).stream })).toThrow("progress total must be a finite number >= 0, got NaN");
  });
});

describe("number formats", () => {
  it("groups digits without a locale", () => {
    expect([0, 7, 999, 1000, 1234, 123456, 1234567, -1234].map(groupDigits)).toEqual(["0", "7", "999", "1,000", "1,234", "123,456", "1,234,567", "-1,234"]);
  });
  it("formats rates, losses, clocks and durations", () => {
    expect([NaN, 0.5, 9.999, 12.34, 99.94, 99.96, 1234.4].map(formatRate)).toEqual(["--", "0.50", "10.0", "12.3", "99.9", "100", "1,234"]);
    expect([0.34117, 12.3456, 123456, 0.00012346, NaN, Infinity].map(formatLoss)).toEqual(["0.3412", "12.35", "1.235e+5", "0.0001235", "NaN", "Infinity"]);
    // An epoch line's metrics: four decimals while they read well, an exponent for the huge and the tiny.
    expect([0.34117, 0, 12.3456, 99999.5, 5.3796918654310793e19, 0.00001234, -Infinity, NaN].map(formatMetric)).toEqual(["0.3412", "0.0000", "12.3456", "99999.5000", "5.380e+19", "1.234e-5", "-Infinity", "NaN"]);
    expect([0, 12.4, 59.6, 61, 3599, 3600, 36125].map(formatClock)).toEqual(["0:00", "0:12", "1:00", "1:01", "59:59", "1:00:00", "10:02:05"]);
    expect([0.04, 12.34, 59.94, 59.96, 125].map(formatDuration)).toEqual(["0.0s", "12.3s", "59.9s", "1:00", "2:05"]);
  });
});
