// The picture of CartPole runs (runtime's lineChartSvg): for each run, the average length of the last
// 100 episodes (of all of them before the 100th), every 5th episode; a single run also shows each
// episode's own length.
import { lineChartSvg, type Series } from "gradc/runtime";
import { lastHundredAverage } from "./reinforce.js";

const EVERY = 5;

export function lengthsChartSvg(runs: readonly { seed: number; lengths: readonly number[] }[]): string {
  const kept = (lengths: readonly number[]) => lengths.map((_, k) => k + 1).filter((e) => e % EVERY === 0 || e === lengths.length);
  const averages = runs.map(({ seed, lengths }): Series => ({
    name: runs.length === 1 ? "average of the last 100" : `seed ${seed}`,
    points: kept(lengths).map((e) => [e, lastHundredAverage(lengths.slice(0, e))] as const),
  }));
  const own = runs.length === 1 ? [{ name: "episode length", points: runs[0]!.lengths.map((n, k) => [k + 1, n] as const) }] : [];
  return lineChartSvg({
    title: runs.length === 1 ? `CartPole-v1, seed ${runs[0]!.seed}: episode lengths` : "CartPole-v1: average length of the last 100 episodes",
    xLabel: "episode",
    yLabel: "steps (500 at most)",
    width: 720,
    height: 420,
    series: [...own, ...averages],
  });
}
