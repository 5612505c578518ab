/** Applying keep sets to a model: one small function per op kind, chosen by the rule table. */
export { applyKeepSets } from "./apply.js";
export { keptPositions, validateKeepSets, type KeptAxis, type KeptMap } from "./positions.js";
export { sliceAxis } from "./slice-tensor.js";
