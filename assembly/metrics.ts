// Metric counts: confusion matrices and error sums. The host accumulates them over an epoch and
// divides.
import { argmax } from "./losses";

// The class of a row: its label (kind 0), its argmax (kind 1), or pred ≥ 0.5 for one column (kind 2).
function classOf(p: usize, cols: i32, kind: i32): i32 {
  if (kind == 0) {
    const t = load<f32>(p);
    return t >= 0 && t < <f32>0x7fffffff && Mathf.floor(t) == t ? <i32>t : -1;
  }
  return kind == 2 ? (load<f32>(p) >= 0.5 ? 1 : 0) : argmax(p, cols);
}

/**
 * counts[t·classes + p] += 1 for each row, t the target's class and p the prediction's (see classOf for
 * the kinds); counts are i32. Returns how many rows had a class outside [0, classes) (not counted).
 */
export function confusion_add_i32(counts: usize, pred: usize, predCols: i32, predKind: i32,
  target: usize, targetCols: i32, targetKind: i32, rows: i32, classes: i32): i32 {
  let skipped = 0;
  for (let r = 0; r < rows; r++) {
    const p = classOf(pred + (<usize>r * <usize>predCols << 2), predCols, predKind);
    const t = classOf(target + (<usize>r * <usize>targetCols << 2), targetCols, targetKind);
    if (p < 0 || p >= classes || t < 0 || t >= classes) { skipped++; continue; }
    const at = counts + (<usize>(t * classes + p) << 2);
    store<i32>(at, load<i32>(at) + 1);
  }
  return skipped;
}

/** Σ |pred - target| (power 1) or Σ (pred - target)² (power 2), in f64. */
export function error_sum_f32(pred: usize, target: usize, n: i32, power: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = <f64>load<f32>(pred + o) - <f64>load<f32>(target + o);
    s += power == 1 ? Math.abs(d) : d * d;
  }
  return s;
}
