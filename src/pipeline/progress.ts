/** Progress events from long stages: the CLI draws a bar, the web page a progress element. */
export interface ProgressEvent {
  stage: "shapes" | "features" | "score" | "plan" | "surgery" | "recover" | "validate" | "evaluate";
  done: number;
  total: number;
  /** Optional detail, e.g. the layer being recovered. */
  detail?: string;
}

export type ProgressCallback = (e: ProgressEvent) => void;

export class StageClock {
  readonly timings: { stage: string; ms: number }[] = [];
  private start = performance.now();
  private current: string | undefined;
  begin(stage: string): void {
    this.end();
    this.current = stage;
    this.start = performance.now();
  }
  end(): void {
    if (this.current) this.timings.push({ stage: this.current, ms: Math.round((performance.now() - this.start) * 10) / 10 });
    this.current = undefined;
  }
}
