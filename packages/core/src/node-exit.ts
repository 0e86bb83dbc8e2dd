// Emscripten's Node glue (tfjs-backend-wasm's module) installs process-wide 'uncaughtException' and
// 'unhandledRejection' listeners that rethrow: after the wasm backend starts, any uncaught error of the
// user's own script then surfaces from inside Emscripten's listener, so Node prints the glue's source line
// (one 37 KB minified line in some builds) before the message and exits with code 7 ("exception handler
// failure") instead of 1. Removing those listeners restores Node's own reporting and exit code.

/** The process events whose listeners Emscripten's glue adds. */
const ERROR_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

type Listener = (...args: unknown[]) => void;

/** The slice of Node's `process` used here; absent in browsers (nothing to undo there). */
interface ProcessEvents {
  listeners(event: string): Listener[];
  removeListener(event: string, listener: Listener): unknown;
}

function nodeProcess(): ProcessEvents | undefined {
  const p = (globalThis as { process?: Partial<ProcessEvents> }).process;
  return typeof p?.listeners === 'function' && typeof p.removeListener === 'function' ? (p as ProcessEvents) : undefined;
}

/**
 * Runs `start` (which may instantiate an Emscripten module) and then removes every 'uncaughtException' and
 * 'unhandledRejection' listener added while it ran, so uncaught errors exit as Node's default does (message,
 * stack, code 1). Listeners present before are kept. Outside Node it only runs `start`.
 */
export async function keepNodeErrorExit<T>(start: () => Promise<T>): Promise<T> {
  const proc = nodeProcess();
  if (proc === undefined) return start();
  const before = new Map(ERROR_EVENTS.map((event) => [event, new Set(proc.listeners(event))]));
  try {
    return await start();
  } finally {
    for (const event of ERROR_EVENTS) {
      const kept = before.get(event)!;
      for (const listener of proc.listeners(event)) if (!kept.has(listener)) proc.removeListener(event, listener);
    }
  }
}
