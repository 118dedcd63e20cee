/** Where progress goes: a redrawn bar on a terminal, a line per phase and per tenth otherwise (CI logs). */
export interface Progress {
  /** More steps became known. */
  add(steps: number): void;
  /** A new phase starts, e.g. "round trips, 1 in flight". */
  phase(name: string): void;
  /** One step finished; `detail` says what. */
  tick(detail: string): void;
  /** Ends the bar (leaves the terminal on a fresh line). */
  done(): void;
}

interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function progressBar(out: Out = process.stderr): Progress {
  let total = 0;
  let done = 0;
  let phase = '';
  let lastTenth = -1;
  const started = performance.now();
  const tty = out.isTTY === true;

  const draw = (detail: string) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const percent = Math.floor(fraction * 100);
    const elapsed = (performance.now() - started) / 1000;
    if (!tty) {
      const tenth = Math.floor(fraction * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      out.write(`  ${String(percent).padStart(3)}%  ${elapsed.toFixed(0)} s  ${phase}\n`);
      return;
    }
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${bar} ${String(percent).padStart(3)}% ${elapsed.toFixed(0).padStart(3)} s  ${phase}: ${detail}`;
    const columns = out.columns ?? 100;
    // Clear the line and redraw in place; never wrap, or \r cannot return to the start.
    out.write(`\r\x1b[K${line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line}`);
  };

  return {
    add: (steps) => {
      total += steps;
    },
    phase: (name) => {
      phase = name;
      if (!tty) out.write(`  ${name}\n`);
      draw('');
    },
    tick: (detail) => {
      done++;
      draw(detail);
    },
    done: () => {
      if (tty) out.write('\r\x1b[K');
    },
  };
}
