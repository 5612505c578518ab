/** Channel dependency analysis: the op rule table and the grouping walk. */
export { buildChannelGroups } from "./build.js";
export { describeGroups, type GroupDescription } from "./describe.js";
export { OP_RULES, ruleFor, type OpRule, type Role, type RuleKind } from "./op-rules.js";
export type * from "./types.js";
export { isResidualStream } from "./types.js";
