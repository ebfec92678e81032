// Callbacks made by the library (fit also takes plain objects of hooks).
import { invalid } from './errors.js';
import type { Model } from './engine/model.js';
import type { Callbacks, Logs } from './engine/training.js';

/** Options of callbacks.earlyStopping(). */
export interface EarlyStoppingConfig {
  /** The log to watch (default 'val_loss'). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
  /** 'min' for losses, 'max' for accuracies; 'auto' (default) decides from the name. */
  mode?: 'auto' | 'min' | 'max';
  /** Put back the weights of the best epoch when training stops (default false). */
  restoreBestWeights?: boolean;
}

/** A callback that fit() hands the model to before training. */
export interface ModelCallback extends Callbacks {
  setModel(model: Model): void;
}

/** Stops fit when `monitor` stops improving, as Keras' EarlyStopping. */
export function earlyStopping(config: EarlyStoppingConfig = {}): ModelCallback {
  const monitor = config.monitor ?? 'val_loss';
  const patience = config.patience ?? 0;
  const minDelta = Math.abs(config.minDelta ?? 0);
  if (!Number.isInteger(patience) || patience < 0) throw invalid(`earlyStopping: patience must be an integer >= 0, got ${patience}`);
  const mode = config.mode ?? 'auto';
  const higherIsBetter = mode === 'max' || (mode === 'auto' && /acc|precision|recall|f1/.test(monitor));
  let model: Model | null = null;
  let best = Infinity, wait = 0, bestWeights: Float32Array[] | null = null;
  return {
    setModel: (m) => { model = m; },
    onTrainBegin: () => { best = Infinity; wait = 0; bestWeights = null; },
    onEpochEnd: (_epoch: number, logs: Logs) => {
      const value = logs[monitor];
      if (value === undefined) {
        throw invalid(`earlyStopping: fit logs have no '${monitor}' (they have ${Object.keys(logs).join(', ')}); give validation data for val_ logs`);
      }
      const score = higherIsBetter ? -value : value;
      if (score < best - minDelta) {
        best = score;
        wait = 0;
        if (config.restoreBestWeights) bestWeights = model!.getWeights();
      } else if (++wait >= patience) {
        model!.stopTraining = true;
      }
    },
    onTrainEnd: () => {
      if (config.restoreBestWeights && bestWeights && model) model.setWeights(bestWeights);
    },
  };
}

/** Callback constructors, as Keras' keras.callbacks. */
export const callbacks = { earlyStopping };
