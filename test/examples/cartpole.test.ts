// examples/cartpole: the environment's physics against steps computed by hand and by Gym's own code,
// its episodes (termination, the 500-step limit, seeded starts, a random policy's ~22 steps), and the
// pieces of REINFORCE that are not the model (discounted returns, normalized advantages), and the
// model's gradients against finite differences. The trained run itself is in ./mains.test.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { explainFile } from "../../compiler/explain.js";
import { CartPole, dynamics, failed, MAX_STEPS, THETA_LIMIT, type State } from "../../examples/cartpole/cartpole.js";
import { discounted, lastHundredAverage, normalized } from "../../examples/cartpole/reinforce.js";
import { createRng } from "../../runtime/index.js";
import { compileAndImport } from "../helpers/compiled.js";
import { checkAgainstFiniteDifferences, exampleModel, root } from "./util.js";

const close = (actual: readonly number[], expected: readonly number[], digits = 14) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, k) => expect(a, `element ${k}`).toBeCloseTo(expected[k]!, digits));
};

describe("CartPole dynamics", () => {
  it("from rest, upright, pushed right: by hand, ẍ = 400/41 and θ̈ = −600/41", () => {
    // sin 0 = 0, cos 0 = 1: temp = F/(M + m) = 100/11; θ̈ = −temp / (l·(4/3 − m/(M + m))) = −(100/11)/(41/66) = −600/41;
    // ẍ = temp − m·l·θ̈/(M + m) = 100/11 + 300/451 = 400/41. Euler: positions move with the old velocities.
    const one = dynamics([0, 0, 0, 0], 1);
    close(one, [0, 0.02 * (400 / 41), 0, 0.02 * (-600 / 41)]);
    // The second step starts at θ = 0 again (θ moved with the old θ̇ = 0): the same accelerations.
    close(dynamics(one, 1), [0.02 * (8 / 41), 16 / 41, 0.02 * (-12 / 41), -24 / 41]);
    // Pushing left is the mirror image.
    close(dynamics([0, 0, 0, 0], 0), [0, -0.02 * (400 / 41), 0, 0.02 * (600 / 41)]);
  });

  it("equals Gym's CartPole-v1 step (gymnasium's cartpole.py, euler) over five steps from a tilted, moving state", () => {
    // Printed by Python running gymnasium's step() equations on (0.01, −0.02, 0.03, −0.04) with actions 1, 1, 0, 1, 0.
    const gym = [
      [0.009600000000000001, 0.17467919574755525, 0.0292, -0.3230687179600081],
      [0.013093583914951107, 0.36937344399176103, 0.02273862564079984, -0.6064020159998607],
      [0.020481052794786327, 0.17394104931769996, 0.010610585320802625, -0.3066446263789625],
      [0.023959873781140326, 0.3689102079328361, 0.004477692793223374, -0.5959624480242942],
      [0.031338077939797045, 0.17372587880180418, -0.00744155616726251, -0.30187245208590807],
    ];
    let s: State = [0.01, -0.02, 0.03, -0.04];
    [1, 1, 0, 1, 0].forEach((a, t) => {
      s = dynamics(s, a);
      close(s, gym[t]!, 15);
    });
  });

  it("fails beyond ±12° or ±2.4 m, not at them", () => {
    expect(failed([0, 0, THETA_LIMIT, 0])).toBe(false);
    expect(failed([0, 0, THETA_LIMIT + 1e-12, 0])).toBe(true);
    expect(failed([0, 0, -THETA_LIMIT - 1e-12, 0])).toBe(true);
    expect(failed([2.4, 0, 0, 0])).toBe(false);
    expect(failed([2.4000001, 0, 0, 0])).toBe(true);
    expect(failed([-2.4000001, 0, 0, 0])).toBe(true);
    expect(THETA_LIMIT).toBeCloseTo((12 * Math.PI) / 180, 15);
  });
});

describe("CartPole episodes", () => {
  it("starts are uniform in [−0.05, 0.05) and the same for the same seed", () => {
    const a = new CartPole(createRng(7)), b = new CartPole(createRng(7));
    const starts = Array.from({ length: 200 }, () => a.reset());
    expect(starts.flat().every((v) => v >= -0.05 && v < 0.05)).toBe(true);
    expect(Math.max(...starts.flat())).toBeGreaterThan(0.045);
    expect(Math.min(...starts.flat())).toBeLessThan(-0.045);
    expect(Array.from({ length: 200 }, () => b.reset())).toEqual(starts);
  });

  it("a pole left alone falls: the episode terminates with a reward of 1 for every step, the last included", () => {
    const env = new CartPole(createRng(0));
    env.reset();
    let steps = 0, reward = 0, last;
    do {
      last = env.step(1);
      steps++;
      reward += last.reward;
    } while (!last.terminated && !last.truncated);
    expect(last.terminated).toBe(true);
    expect(last.truncated).toBe(false);
    expect(failed(last.state)).toBe(true);
    expect(steps).toBeGreaterThan(5);
    expect(steps).toBeLessThan(30);
    expect(reward).toBe(steps);
    expect(() => env.step(0)).toThrow("the episode is over; call reset() first");
  });

  it("a balancing controller is cut off after 500 steps (truncated, not terminated)", () => {
    const env = new CartPole(createRng(1));
    let s = env.reset();
    const results = [];
    for (let t = 0; t < MAX_STEPS; t++) {
      const [x, xDot, theta, thetaDot] = s;
      const r = env.step(theta + 0.5 * thetaDot + 0.05 * x + 0.1 * xDot > 0 ? 1 : 0);
      results.push(r);
      s = r.state;
    }
    expect(results.slice(0, -1).every((r) => !r.terminated && !r.truncated)).toBe(true);
    expect(results.at(-1)).toMatchObject({ terminated: false, truncated: true });
    expect(() => env.step(1)).toThrow(/episode is over/);
  });

  it("a random policy lasts about 22 steps (Gym's 22.0 over 20,000 episodes)", () => {
    const rng = createRng(3);
    const env = new CartPole(rng);
    const lengths: number[] = [];
    for (let e = 0; e < 5000; e++) {
      env.reset();
      let n = 0, r;
      do {
        r = env.step(rng.uniform() < 0.5 ? 0 : 1);
        n++;
      } while (!r.terminated && !r.truncated);
      lengths.push(n);
    }
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    expect(mean).toBeGreaterThan(21);
    expect(mean).toBeLessThan(23);
  });

  it("refuses an action that is not 0 or 1", () => {
    const env = new CartPole(createRng(0));
    env.reset();
    expect(() => env.step(2)).toThrow("action must be 0 (left) or 1 (right), got 2");
  });
});

describe("REINFORCE's bookkeeping", () => {
  it("discounted returns: Gₜ = rₜ + γ·Gₜ₊₁, 0 after the last step", () => {
    close(discounted([1, 1, 1], 0.5), [1.75, 1.5, 1]);
    close(discounted([1, 1, 1, 1], 1), [4, 3, 2, 1]);
    expect(discounted([], 0.99)).toEqual([]);
  });

  it("advantages normalized to mean 0 and standard deviation 1", () => {
    const a = normalized([1, 2, 3, 4, 10]);
    expect(a.reduce((x, y) => x + y, 0)).toBeCloseTo(0, 12);
    expect(Math.sqrt(a.reduce((x, y) => x + y * y, 0) / a.length)).toBeCloseTo(1, 8);
    expect(normalized([5, 5, 5])).toEqual([0, 0, 0]); // no spread: no push either way
  });

  it("the average of the last 100 lengths (of all of them before the 100th)", () => {
    expect(lastHundredAverage([10, 20])).toBe(15);
    expect(lastHundredAverage([...Array<number>(50).fill(1000), ...Array<number>(100).fill(7)])).toBe(7);
  });
});

describe("the policy-gradient model", () => {
  it("its gradients (policy, value, entropy terms) equal central finite differences of its loss", async () => {
    const { module } = await compileAndImport(exampleModel("cartpole"), { dtype: "f64" });
    const rng = createRng(5);
    const n = 6;
    const inputs = {
      states: Array.from({ length: n * 4 }, () => rng.normal() * 0.5),
      actions: [0, 1, 1, 0, 1, 1],
      advantages: normalized([3, -1, 0.5, 2, -2, 1]),
      returns: [9.5, 4, 1, 7, 3, 2],
    };
    const r = checkAgainstFiniteDifferences(module, module.initParams(2), inputs, { atol: 1e-9, rtol: 1e-7 });
    expect(r.mismatches).toEqual([]);
    expect(r.checked).toBe(4 * 64 + 64 + 64 * 2 + 2 + 4 * 64 + 64 + 64 + 1);
  });
});

describe("examples/cartpole/README.md", () => {
  it("quotes gradc explain as it prints", async () => {
    const readme = readFileSync(path.join(root, "examples/cartpole/README.md"), "utf8");
    const quoted = /which is what `gradc explain` shows:\n\n```\n([^]*?)```/.exec(readme)![1]!.split("\n").filter((l) => l.trim() && l.trim() !== "...");
    expect(quoted.length).toBeGreaterThanOrEqual(3);
    const printed = (await explainFile(exampleModel("cartpole"))).split("\n");
    for (const line of quoted) expect(printed, line).toContain(line);
  });
});
