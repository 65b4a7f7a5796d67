/** An exec's terminal size as its client resizes it (`POST /exec/{id}/resize`), for berth.exec's `terminal`. */
import type { TerminalResizes, TerminalSize } from '../index.js';

export class TerminalSizes implements TerminalResizes {
  private size: TerminalSize | undefined;
  private readonly listeners = new Set<(s: TerminalSize) => void>();

  current(): TerminalSize | undefined {
    return this.size;
  }

  subscribe(listener: (s: TerminalSize) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(size: TerminalSize): void {
    this.size = size;
    for (const l of this.listeners) l(size);
  }
}
