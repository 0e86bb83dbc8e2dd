/** The packages that have a browser entry (src/browser.ts). */
export function browserPackages(): string[];
/** Bundles packages/<name>/src/browser.ts for the browser in memory; rejects with esbuild's errors. */
export function bundleForBrowser(name: string): Promise<{ bytes: number; inputs: string[] }>;
