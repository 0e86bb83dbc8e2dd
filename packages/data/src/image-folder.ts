import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ShapeError } from '@deitjs/core';
import { DatasetError } from './dataset-error.js';
import type { Dataset } from './dataset.js';
import { decodeImage } from './decode.js';
import type { Sample } from './image.js';

/** File extensions {@link ImageFolder} accepts by default (lower case). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif'];

/** Options of {@link ImageFolder}. */
export interface ImageFolderOptions {
  /** Accepted extensions, compared case-insensitively (default {@link IMAGE_EXTENSIONS}). */
  extensions?: readonly string[];
}

// Python's sorted() on str compares code points; JS's default sort compares UTF-16 units, which only
// differs for astral characters, so compare code points explicitly.
function byCodePoint(a: string, b: string): number {
  const A = Array.from(a, (c) => c.codePointAt(0)!);
  const B = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(A.length, B.length); i++) if (A[i] !== B[i]) return A[i]! - B[i]!;
  return A.length - B.length;
}

/**
 * torchvision's ImageFolder: `root/<class>/**\/<image>`. Classes are the sorted sub-folder names; each
 * class's files are collected recursively in sorted order. A missing root, no class folders, or a class
 * folder without images raise a {@link DatasetError}. Nothing is ever written into `root`.
 */
export class ImageFolder implements Dataset {
  /** The sorted class names. */
  readonly classes: readonly string[];
  /** Every sample's file and label, class by class. */
  readonly samples: readonly { file: string; label: number }[];
  /** The data set folder. */
  readonly root: string;

  constructor(root: string, options: ImageFolderOptions = {}) {
    this.root = root;
    const exts = (options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(root, { withFileTypes: true });
    } catch (err) {
      throw new DatasetError(root, `cannot read the data set folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
    const classes = entries.filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDir(join(root, e.name)))).map((e) => e.name);
    classes.sort(byCodePoint);
    if (classes.length === 0) throw new DatasetError(root, 'no class folders found (expected root/<class>/<image files>)');
    const samples: { file: string; label: number }[] = [];
    classes.forEach((name, label) => {
      const files: string[] = [];
      collect(join(root, name), exts, files);
      if (files.length === 0) {
        throw new DatasetError(join(root, name), `class folder "${name}" has no images with extensions ${exts.join(', ')}`);
      }
      for (const file of files) samples.push({ file, label });
    });
    this.classes = classes;
    this.samples = samples;
  }

  /** Number of images. */
  get length(): number {
    return this.samples.length;
  }

  /** The decoded image and its label. */
  async get(index: number): Promise<Sample> {
    const s = this.samples[index];
    if (s === undefined) throw new ShapeError('index', `${index} is outside the data set (length ${this.length})`);
    return { image: await decodeImage(s.file), label: s.label };
  }

  /** The file of sample `index`. */
  source(index: number): string {
    return this.samples[index]?.file ?? `${this.root}#${index}`;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

// torchvision walks the class folder and sorts the (folder, files) tuples by folder path, then sorts the
// files of each folder: files of a folder come before those of its sub-folders.
function collect(dir: string, exts: readonly string[], out: string[]): void {
  const folders: { path: string; files: string[] }[] = [];
  const walk = (d: string): void => {
    const files: string[] = [];
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (isDir(path)) walk(path);
      else if (exts.some((x) => e.name.toLowerCase().endsWith(x))) files.push(e.name);
    }
    folders.push({ path: d, files: files.sort(byCodePoint) });
  };
  walk(dir);
  folders.sort((a, b) => byCodePoint(a.path, b.path));
  for (const f of folders) for (const name of f.files) out.push(join(f.path, name));
}
