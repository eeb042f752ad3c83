// CartPole, as Gym's CartPole-v1 (gymnasium/envs/classic_control/cartpole.py): the cart-pole system of
// Barto, Sutton & Anderson (1983), "Neuronlike adaptive elements that can solve difficult learning
// control problems", with the equations of motion of Florian (2007), "Correct equations for the
// dynamics of the cart-pole system" (no friction), integrated by explicit Euler steps.
//
// A pole is hinged to a cart that moves along a frictionless track. Each step the agent pushes the
// cart left (action 0) or right (action 1) with a force of 10 N and gets a reward of 1. The episode
// ends when the pole leans more than 12° from upright or the cart leaves ±2.4 m, or after 500 steps
// (v1's time limit). Start states are drawn uniformly from [−0.05, 0.05] for each of the four
// variables, from the runtime's seeded generator, so a seed gives the same episodes everywhere.
import type { Rng } from "gradc/runtime";

export const GRAVITY = 9.8; // m/s²
export const CART_MASS = 1.0; // kg
export const POLE_MASS = 0.1; // kg
export const HALF_LENGTH = 0.5; // m: half the pole's length (Gym's `length`)
export const FORCE = 10.0; // N
export const TAU = 0.02; // s between state updates
export const THETA_LIMIT = (12 * 2 * Math.PI) / 360; // 12°, in radians
export const X_LIMIT = 2.4; // m
export const MAX_STEPS = 500; // CartPole-v1's time limit

const TOTAL_MASS = CART_MASS + POLE_MASS;
const POLE_MASS_LENGTH = POLE_MASS * HALF_LENGTH;

/** [x, ẋ, θ, θ̇]: cart position (m), cart velocity (m/s), pole angle from upright (rad), pole angular velocity (rad/s). */
export type State = readonly [x: number, xDot: number, theta: number, thetaDot: number];

/**
 * One Euler step of the dynamics under `action` (0 left, 1 right) — Gym's `step` with
 * kinematics_integrator = "euler": the accelerations come from the current state, then positions
 * move with the current velocities and velocities with the accelerations.
 */
export function dynamics([x, xDot, theta, thetaDot]: State, action: number): State {
  const force = action === 1 ? FORCE : -FORCE;
  const cos = Math.cos(theta), sin = Math.sin(theta);
  const temp = (force + POLE_MASS_LENGTH * thetaDot * thetaDot * sin) / TOTAL_MASS;
  const thetaAcc = (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4.0 / 3.0 - (POLE_MASS * cos * cos) / TOTAL_MASS));
  const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
  return [x + TAU * xDot, xDot + TAU * xAcc, theta + TAU * thetaDot, thetaDot + TAU * thetaAcc];
}

/** Whether a state has failed: the pole beyond ±12° or the cart beyond ±2.4 m. */
export const failed = ([x, , theta]: State): boolean => x < -X_LIMIT || x > X_LIMIT || theta < -THETA_LIMIT || theta > THETA_LIMIT;

export interface StepResult {
  readonly state: State;
  /** 1 for every step taken, the failing one included (as Gym). */
  readonly reward: number;
  /** The pole fell or the cart left the track. */
  readonly terminated: boolean;
  /** The time limit (500 steps) ended the episode. */
  readonly truncated: boolean;
}

export class CartPole {
  private current: State = [0, 0, 0, 0];
  private steps = 0;
  private done = true;

  constructor(private readonly rng: Rng) {}

  /** Starts an episode: each variable uniform in [−0.05, 0.05). */
  reset(): State {
    this.current = [this.draw(), this.draw(), this.draw(), this.draw()];
    this.steps = 0;
    this.done = false;
    return this.current;
  }

  step(action: number): StepResult {
    if (this.done) throw new Error("CartPole.step: the episode is over; call reset() first");
    if (action !== 0 && action !== 1) throw new Error(`CartPole.step: action must be 0 (left) or 1 (right), got ${String(action)}`);
    this.current = dynamics(this.current, action);
    this.steps++;
    const terminated = failed(this.current);
    const truncated = !terminated && this.steps >= MAX_STEPS;
    this.done = terminated || truncated;
    return { state: this.current, reward: 1, terminated, truncated };
  }

  get state(): State {
    return this.current;
  }

  private draw(): number {
    return -0.05 + 0.1 * this.rng.uniform();
  }
}
