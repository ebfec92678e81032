// fit()'s Keras-style progress, on stderr in Node and Deno; browsers get callbacks only. verbose 1:
//   Epoch 3/10
//   32/47 [====================>.........] - ETA: 0.4s - loss: 0.2315 - accuracy: 0.9187
// redrawn in place on a terminal (elsewhere only the finished line of each epoch prints); verbose 2:
//   Epoch 3/10 - 1.1s 12ms/step - loss: 0.2315 - accuracy: 0.9187

interface Sink {
  write(s: string): void;
  tty: boolean;
  /** The terminal's width in characters (when tty). */
  columns(): number;
}

function stderrSink(): Sink | null {
  const g = globalThis as unknown as {
    process?: { stderr?: { write(s: string): unknown; isTTY?: boolean; columns?: number } };
    Deno?: { stderr: { writeSync(b: Uint8Array): number; isTerminal(): boolean }; consoleSize(): { columns: number } };
  };
  if (g.Deno) {
    const deno = g.Deno, err = deno.stderr, enc = new TextEncoder();
    const columns = () => { try { return deno.consoleSize().columns; } catch { return 80; } };
    return { write: (s) => { err.writeSync(enc.encode(s)); }, tty: err.isTerminal(), columns };
  }
  const err = g.process?.stderr;
  if (err && typeof err.write === 'function') return { write: (s) => { err.write(s); }, tty: err.isTTY === true, columns: () => err.columns || 80 };
  return null;
}

const WIDTH = 30;
const REDRAW_MS = 100;

const time = (seconds: number) => (seconds < 60 ? `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`
  : seconds < 3600 ? `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`
    : `${Math.floor(seconds / 3600)}:${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`);

/** fit()'s progress output: a bar redrawn while an epoch runs (verbose 1) or one line per epoch (verbose 2). */
export class Progress {
  readonly #sink = stderrSink();
  #start = 0;
  #lastDraw = 0;
  #epoch = 0;

  constructor(private readonly epochs: number, private readonly steps: number, private readonly bar = true) {}

  /** Prints the epoch header (verbose 1). */
  epochBegin(epoch: number): void {
    this.#epoch = epoch;
    if (this.bar) this.#sink?.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
    this.#start = this.#lastDraw = performance.now();
  }

  /** Redraws the line after a batch (on a terminal, at most every 100 ms, cut to its width). */
  batchEnd(step: number, logs: Record<string, number>): void {
    if (!this.bar || !this.#sink?.tty) return;
    const now = performance.now();
    if (now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    let line = this.#line(step + 1, logs, now);
    const columns = this.#sink.columns() - 1;
    if (line.length > columns) line = `${line.slice(0, Math.max(0, columns - 1))}…`;
    this.#sink.write(`\r${line}\x1b[K`);
  }

  /** Prints the finished line of the epoch, its metrics wrapped onto indented lines on a narrow terminal. */
  epochEnd(logs: Record<string, number>): void {
    if (!this.#sink) return;
    const now = performance.now();
    const line = this.bar ? this.#line(this.steps, logs, now)
      : `Epoch ${this.#epoch + 1}/${this.epochs} - ${time((now - this.#start) / 1000)} ${this.#perStep(this.steps, now)}/step${this.#metrics(logs)}`;
    // On a terminal each row clears the rest of its line (a longer redraw was there before).
    this.#sink.write(this.#sink.tty ? `\r${this.#wrap(line).join('\x1b[K\n')}\x1b[K\n` : `${line}\n`);
  }

  /** Prints a line of its own (e.g. early stopping's notice). */
  message(line: string): void {
    this.#sink?.write(`${line}\n`);
  }

  // The line as rows that fit the terminal, breaking between metrics; rows after the first are indented.
  #wrap(line: string): string[] {
    const columns = this.#sink!.columns() - 1;
    if (line.length <= columns) return [line];
    const parts = line.split(' - ');
    const rows = [parts.shift()!];
    for (const p of parts) {
      if (rows[rows.length - 1]!.length + 3 + p.length <= columns) rows[rows.length - 1] += ` - ${p}`;
      else rows.push(`    ${p}`);
    }
    return rows;
  }

  #metrics(logs: Record<string, number>): string {
    return Object.entries(logs).map(([k, v]) => ` - ${k}: ${v.toFixed(4)}`).join('');
  }

  #perStep(done: number, now: number): string {
    const perStep = (now - this.#start) / Math.max(1, done);
    return perStep < 1 ? `${(perStep * 1000).toFixed(0)}us` : `${perStep.toFixed(perStep < 10 ? 1 : 0)}ms`;
  }

  #line(done: number, logs: Record<string, number>, now: number): string {
    const arrow = done < this.steps ? 1 : 0;
    const filled = Math.max(0, Math.floor(WIDTH * done / this.steps) - arrow);
    const bar = '='.repeat(filled) + '>'.repeat(arrow) + '.'.repeat(WIDTH - filled - arrow);
    const elapsed = (now - this.#start) / 1000;
    const count = String(done).padStart(String(this.steps).length);
    // While the epoch runs: the time it still needs at the pace so far; once done: the time it took.
    const timing = done < this.steps ? `ETA: ${time(elapsed / done * (this.steps - done))}` : `${time(elapsed)} ${this.#perStep(done, now)}/step`;
    return `${count}/${this.steps} [${bar}] - ${timing}${this.#metrics(logs)}`;
  }
}
