/** Progress display: a redrawn bar on a TTY (rate and ETA), plain lines otherwise, or nothing. */
import type { ProgressEvent } from "../pipeline/progress.js";

export function makeProgressPrinter(mode: "tty" | "plain" | "quiet", out: NodeJS.WriteStream = process.stderr): (e: ProgressEvent) => void {
  if (mode === "quiet") return () => {};
  let stage = "";
  let started = 0;
  let lastPlain = -1;
  return (e) => {
    const now = performance.now();
    if (e.stage !== stage) {
      if (mode === "tty" && stage) out.write("\n");
      stage = e.stage;
      started = now;
      lastPlain = -1;
    }
    const frac = e.total > 0 ? e.done / e.total : 1;
    const secs = (now - started) / 1000;
    const rate = secs > 0 ? e.done / secs : 0;
    const eta = rate > 0 ? (e.total - e.done) / rate : 0;
    const unit = e.stage === "features" || e.stage === "evaluate" ? "samples" : "steps";
    const detail = e.detail ? ` ${e.detail}` : "";
    if (mode === "tty") {
      const width = 24;
      const filled = Math.round(frac * width);
      out.write(`\r${stage.padEnd(9)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${e.done}/${e.total} ${unit} ${rate.toFixed(1)}/s ETA ${eta.toFixed(0)}s${detail}`.padEnd(100).slice(0, 110));
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== lastPlain) {
        lastPlain = decile;
        out.write(`${stage}: ${e.done}/${e.total} ${unit} (${(frac * 100).toFixed(0)}%)${detail}\n`);
      }
    }
  };
}
