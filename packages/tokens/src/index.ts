// The Node entry of @deitjs/tokens: the same exports as the browser entry (the package needs nothing of Node's).
export * from './browser.js';
