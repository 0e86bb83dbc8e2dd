import { DeitError, escapeControl, truncateText } from '@deitjs/core';

// Server-supplied and user-supplied names end up in messages: one printable, bounded line.
const shown = (s: string): string => truncateText(escapeControl(s), 300);

/** A download that failed or was refused (bad status, redirect, size, hash, truncation, offline): names the URL. */
export class DownloadError extends DeitError {
  /** The URL at fault (before redirects). */
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'E_DOWNLOAD', `${shown(url)}: ${escapeControl(message)}`, options);
    this.url = url;
  }
}

/** What a Hugging Face Hub file is: repository, revision and file name. */
export interface HubFileRef {
  /** Repository id, `org/name` (or a legacy `name`). */
  repo: string;
  /** Branch, tag or commit hash (default `main`). */
  revision: string;
  /** Path of the file inside the repository. */
  file: string;
}

/**
 * A Hugging Face Hub file that cannot be had: an invalid repository id, revision or file name, a missing or gated
 * repository or file, a hostile answer, or a file absent from the cache when offline. Names the repo, revision and file.
 */
export class HubError extends DownloadError {
  /** Repository id as given. */
  readonly repo: string;
  /** Revision as given. */
  readonly revision: string;
  /** File name as given. */
  readonly file: string;
  /** Whether the file is simply absent (HTTP 404, or not cached when offline), so another file name may be tried. */
  readonly notFound: boolean;
  constructor(ref: HubFileRef, url: string, message: string, options?: { cause?: unknown; notFound?: boolean }) {
    super(url, `${shown(ref.repo)}@${shown(ref.revision)} ${shown(ref.file)}: ${message}`, { cause: options?.cause, code: 'E_HUB' });
    this.repo = ref.repo;
    this.revision = ref.revision;
    this.file = ref.file;
    this.notFound = options?.notFound ?? false;
  }
}
