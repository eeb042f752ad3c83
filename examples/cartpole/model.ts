// CartPole's policy and its baseline, trained by policy gradient (REINFORCE with a learned value
// baseline, on whole episodes). main.ts plays episodes with the policy, computes each step's
// discounted return Gₜ and advantage Âₜ = Gₜ − V(sₜ) (normalized over the batch), and feeds them here
// as inputs: an input carries no gradient, so Âₜ is a constant weight on each step's log-probability.
import { model, input, param, add, sub, mul, neg, matmul, tanh, softmax, logSoftmax, pick, sum, mean, mse } from "gradc";

const HIDDEN = 64;
const VALUE_WEIGHT = 0.5; // c: how much the value loss counts next to the policy's
const ENTROPY_WEIGHT = 0.01; // β: a small bonus for keeping the policy uncertain, so it keeps exploring

export default model("cartpole", () => {
  const states = input("states", ["batch", 4]); // sₜ: cart position, cart velocity, pole angle, pole angular velocity
  const actions = input("actions", ["batch"], { dtype: "int" }); // aₜ: 0 pushes left, 1 pushes right
  const advantages = input("advantages", ["batch"]); // Âₜ
  const returns = input("returns", ["batch", 1]); // Gₜ = rₜ + γ·rₜ₊₁ + γ²·rₜ₊₂ + …

  // The policy π(a|s): 4 → 64 tanh → 2 logits.
  const W1 = param("W1", [4, HIDDEN]);
  const b1 = param("b1", [HIDDEN]);
  const W2 = param("W2", [HIDDEN, 2]);
  const b2 = param("b2", [2]);
  const h = tanh(add(matmul(states, W1), b1));
  const logits = add(matmul(h, W2), b2);
  const probs = softmax(logits);
  const logProbs = logSoftmax(logits);
  const logPi = pick(logProbs, actions); // log π(aₜ|sₜ): the log-probability of the action taken

  // The baseline V(s): its own 4 → 64 tanh → 1 network, so its large errors do not shake the policy.
  const V1 = param("V1", [4, HIDDEN]);
  const c1 = param("c1", [HIDDEN]);
  const V2 = param("V2", [HIDDEN, 1]);
  const c2 = param("c2", [1]);
  const value = add(matmul(tanh(add(matmul(states, V1), c1)), V2), c2);

  const policyLoss = neg(mean(mul(logPi, advantages))); // −mean(log π(aₜ|sₜ)·Âₜ)
  const valueLoss = mse(value, returns); // mean((V(sₜ) − Gₜ)²)
  const entropy = neg(mean(sum(mul(probs, logProbs), -1))); // mean of H(π(·|sₜ)) = −Σₐ π log π
  const loss = sub(add(policyLoss, mul(VALUE_WEIGHT, valueLoss)), mul(ENTROPY_WEIGHT, entropy));
  return { loss, outputs: { probs, value } };
});
