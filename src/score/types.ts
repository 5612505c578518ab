/** Scores of one channel group, per channel, in the group's channel indexing. */
export interface GroupScore {
  group: number;
  /** Final importance I(c): higher means keep. */
  importance: Float64Array;
  /** Greedy criteria decide an explicit removal order (first = removed first). */
  removalOrder?: readonly number[];
  /** Per-term diagnostics for the report (activeness, substitutability...), each length C. */
  terms: Record<string, Float64Array>;
}
