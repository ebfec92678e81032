// fit()'s Keras-style progress line, on stderr in Node and Deno; browsers get callbacks only.
//   Epoch 3/10
//   32/47 [====================>.........] - 1s 12ms/step - loss: 0.2315 - accuracy: 0.9187
// On a terminal the line is redrawn in place; elsewhere only the finished line of each epoch prints.

interface Sink {
  write(s: string): void;
  tty: boolean;
}

function stderrSink(): Sink | null {
  const g = globalThis as unknown as {
    process?: { stderr?: { write(s: string): unknown; isTTY?: boolean } };
    Deno?: { stderr: { writeSync(b: Uint8Array): number; isTerminal(): boolean } };
  };
  if (g.Deno) {
    const err = g.Deno.stderr, enc = new TextEncoder();
    return { write: (s) => { err.writeSync(enc.encode(s)); }, tty: err.isTerminal() };
  }
  const err = g.process?.stderr;
  if (err && typeof err.write === 'function') return { write: (s) => { err.write(s); }, tty: err.isTTY === true };
  return null;
}

const WIDTH = 30;
const REDRAW_MS = 100;

export class Progress {
  readonly #sink = stderrSink();
  #start = 0;
  #lastDraw = 0;

  constructor(private readonly epochs: number, private readonly steps: number) {}

  /** Prints the epoch header. */
  epochBegin(epoch: number): void {
    this.#sink?.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
    this.#start = this.#lastDraw = performance.now();
  }

  /** Redraws the line after a batch (on a terminal, at most every 100 ms). */
  batchEnd(step: number, logs: Record<string, number>): void {
    if (!this.#sink?.tty) return;
    const now = performance.now();
    if (now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.#sink.write(`\r${this.#line(step + 1, logs, now)}\x1b[K`);
  }

  /** Prints the finished line of the epoch. */
  epochEnd(logs: Record<string, number>): void {
    if (!this.#sink) return;
    this.#sink.write(`${this.#sink.tty ? '\r' : ''}${this.#line(this.steps, logs, performance.now())}${this.#sink.tty ? '\x1b[K' : ''}\n`);
  }

  #line(done: number, logs: Record<string, number>, now: number): string {
    const arrow = done < this.steps ? 1 : 0;
    const filled = Math.max(0, Math.floor(WIDTH * done / this.steps) - arrow);
    const bar = '='.repeat(filled) + '>'.repeat(arrow) + '.'.repeat(WIDTH - filled - arrow);
    const seconds = (now - this.#start) / 1000;
    const perStep = (now - this.#start) / Math.max(1, done);
    const metrics = Object.entries(logs).map(([k, v]) => ` - ${k}: ${v.toFixed(4)}`).join('');
    const count = String(done).padStart(String(this.steps).length);
    const step = perStep < 1 ? `${(perStep * 1000).toFixed(0)}us` : `${perStep.toFixed(perStep < 10 ? 1 : 0)}ms`;
    return `${count}/${this.steps} [${bar}] - ${seconds.toFixed(seconds < 10 ? 1 : 0)}s ${step}/step${metrics}`;
  }
}
