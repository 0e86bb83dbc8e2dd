/**
 * When a run stops early: a stop request (`Trainer.stop()`, or Ctrl-C while listening) is honoured at the next
 * optimiser-update boundary.
 */
export class StopControl {
  private requested = false;

  /** Whether a stop was asked for since the last {@link reset}. */
  get isRequested(): boolean {
    return this.requested;
  }

  /** Asks the running loop to stop at the next update boundary. */
  request(): void {
    this.requested = true;
  }

  /** Forgets an earlier request (a new run starts). */
  reset(): void {
    this.requested = false;
  }

  /**
   * Until the returned function is called, the first SIGINT calls `onSignal` and requests a stop; the listener is
   * removed on the first signal, so a second Ctrl-C gets Node's default (exit at once).
   */
  listenForSigint(onSignal: () => void): () => void {
    const handler = (): void => {
      onSignal();
      this.request();
    };
    process.once('SIGINT', handler);
    return () => {
      process.removeListener('SIGINT', handler);
    };
  }
}
