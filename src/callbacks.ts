// Callbacks made by the library (fit also takes plain objects of hooks).
import { invalid } from './errors.js';
import { checkOptions, describe, numberOption } from './options.js';
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
  /** 1 (default) says when it stops training, on fit's progress output; 0 is silent. */
  verbose?: 0 | 1;
}

/** A callback that fit() hands the model to before training, with a way to print a line where fit's progress goes. */
export interface ModelCallback extends Callbacks {
  setModel(model: Model, print?: (line: string) => void): void;
}

/** Stops fit when `monitor` stops improving, as Keras' EarlyStopping. */
export function earlyStopping(options?: EarlyStoppingConfig): ModelCallback {
  const op = 'earlyStopping';
  const config = checkOptions(op, options, ['monitor', 'patience', 'minDelta', 'mode', 'restoreBestWeights', 'verbose']);
  const monitor = config.monitor ?? 'val_loss';
  if (typeof monitor !== 'string') throw invalid(`${op}: monitor must be the name of a log (e.g. 'val_loss'), got ${describe(monitor)}`);
  const patience = numberOption(op, 'patience', config.patience ?? 0, 'an integer >= 0', (v) => Number.isInteger(v) && v >= 0);
  const minDelta = Math.abs(numberOption(op, 'minDelta', config.minDelta ?? 0, 'a finite number'));
  const mode = config.mode ?? 'auto';
  if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw invalid(`${op}: mode must be 'auto', 'min' or 'max', got ${describe(mode)}`);
  if (config.restoreBestWeights !== undefined && typeof config.restoreBestWeights !== 'boolean') {
    throw invalid(`${op}: restoreBestWeights must be a boolean, got ${describe(config.restoreBestWeights)}`);
  }
  const verbose = config.verbose ?? 1;
  if (verbose !== 0 && verbose !== 1) throw invalid(`${op}: verbose must be 0 or 1, got ${describe(verbose)}`);
  const higherIsBetter = mode === 'max' || (mode === 'auto' && /acc|precision|recall|f1/.test(monitor));
  let model: Model | null = null, print: (line: string) => void = () => {};
  let best = Infinity, wait = 0, bestWeights: Float32Array[] | null = null, bestEpoch = 0, stopped = false;
  return {
    setModel: (m, p) => { model = m; if (p && verbose === 1) print = p; },
    onTrainBegin: () => { best = Infinity; wait = 0; bestWeights = null; stopped = false; },
    onEpochEnd: (epoch: number, logs: Logs) => {
      const value = logs[monitor];
      if (value === undefined) {
        throw invalid(`earlyStopping: fit logs have no '${monitor}' (they have ${Object.keys(logs).join(', ')}); give validation data for val_ logs`);
      }
      const score = higherIsBetter ? -value : value;
      if (score < best - minDelta) {
        best = score;
        bestEpoch = epoch;
        wait = 0;
        if (config.restoreBestWeights) bestWeights = model!.getWeights();
      } else if (++wait >= patience) {
        model!.stopTraining = stopped = true;
        print(`Epoch ${epoch + 1}: early stopping (${monitor} did not improve for ${wait} epoch${wait === 1 ? '' : 's'})${
          bestWeights ? `; restored the weights of epoch ${bestEpoch + 1}` : ''}`);
      }
    },
    onTrainEnd: () => {
      if (config.restoreBestWeights && bestWeights && model) {
        model.setWeights(bestWeights);
        if (!stopped) print(`earlyStopping: restored the weights of epoch ${bestEpoch + 1}, the best ${monitor}`);
      }
    },
  };
}

/** Callback constructors, as Keras' keras.callbacks. */
export const callbacks = { earlyStopping };
