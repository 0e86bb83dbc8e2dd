import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { DatasetError } from './dataset-error.js';
import type { Uint8Image } from './image.js';

// Decoders run in several worker threads at once; each has its own libvips pool, so one thread per
// decode avoids oversubscribing the cores, and caching decoded files only costs memory here.
sharp.concurrency(1);
sharp.cache(false);

/**
 * Decodes an image file (JPEG, PNG, WebP, TIFF, GIF…) to 8-bit RGB like PIL's `convert('RGB')`:
 * grey is expanded to three channels and alpha is dropped. A file that cannot be decoded raises a
 * {@link DatasetError} naming it. The file is only read.
 */
export async function decodeImage(file: string): Promise<Uint8Image> {
  // libvips would open a FIFO and wait for a writer forever (holding a thread of the pool): only regular files.
  let kind: string | undefined;
  try {
    const st = await stat(file);
    if (!st.isFile()) kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : 'not a regular file';
  } catch (err) {
    throw new DatasetError(file, `cannot decode image: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (kind !== undefined) throw new DatasetError(file, `cannot decode image: is ${kind}, not a regular file`);
  try {
    const { data, info } = await sharp(file, { failOn: 'error' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels instead of 3`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (err) {
    throw new DatasetError(file, `cannot decode image: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
