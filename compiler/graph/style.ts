// One palette for both formats, so a Mermaid and a DOT picture of a model read alike: inputs blue,
// parameters amber, constants grey, the loss red, outputs green, forward values white, gradients
// purple with a dashed border (a parameter's gradient darker, with a heavy border).
import type { Role } from "./model.js";

export interface RoleStyle {
  readonly fill: string;
  readonly stroke: string;
  readonly dashed: boolean;
  readonly bold: boolean;
}

export const ROLE_STYLES: Readonly<Record<Role, RoleStyle>> = {
  input: { fill: "#dbeafe", stroke: "#1d4ed8", dashed: false, bold: false },
  param: { fill: "#fef3c7", stroke: "#b45309", dashed: false, bold: false },
  constant: { fill: "#f3f4f6", stroke: "#6b7280", dashed: false, bold: false },
  value: { fill: "#ffffff", stroke: "#374151", dashed: false, bold: false },
  output: { fill: "#dcfce7", stroke: "#15803d", dashed: false, bold: true },
  loss: { fill: "#fee2e2", stroke: "#b91c1c", dashed: false, bold: true },
  gradient: { fill: "#f3e8ff", stroke: "#7e22ce", dashed: true, bold: false },
  paramGradient: { fill: "#e9d5ff", stroke: "#6b21a8", dashed: false, bold: true },
};

/** Roles in a fixed order: style definitions are written in this order (deterministic output). */
export const ROLES = Object.keys(ROLE_STYLES) as Role[];

/** Text colour on every fill, and the colour of edges into gradient computations. */
export const TEXT_COLOR = "#111827";
export const BACKWARD_EDGE_COLOR = "#7e22ce";
export const CLUSTER_STYLE = { fill: "#f9fafb", stroke: "#9ca3af" } as const;
