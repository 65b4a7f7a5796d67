/** Undo half-done work on failure (Incus's reverter): register undo steps, run them in reverse unless success() was called. */
export class Reverter {
  private steps: (() => unknown | Promise<unknown>)[] = [];

  add(step: () => unknown | Promise<unknown>): void {
    this.steps.push(step);
  }

  success(): void {
    this.steps = [];
  }

  async revert(): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    for (const s of steps) {
      try {
        await s();
      } catch {
        /* best effort: keep undoing the rest */
      }
    }
  }
}
