// Image decoding with sharp. Items keep their original bytes; pixels for the policy are produced
// only here, at the model's edge.
import { type EncodedImage } from './types.ts';
import { DataError } from '../../src/util/errors.ts';

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB, 3 bytes per pixel, row-major. */
  data: Uint8Array;
}

/** Decodes any image sharp reads to raw RGB, optionally resized (fill, no aspect preservation). */
export async function decodeImage(img: EncodedImage, size?: { width: number; height: number }, label = 'image'): Promise<RgbImage> {
  const { default: sharp } = await import('sharp');
  try {
    let pipe = sharp(img.bytes, { failOn: 'error' }).removeAlpha().toColourspace('srgb');
    if (size) pipe = pipe.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
    const { data, info } = await pipe.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    const where = img.path ? `${label} (${img.path})` : label;
    throw new DataError(`${where}: corrupt or unreadable image (${(e as Error).message})`);
  }
}

/** Coerces the many shapes an image takes in parquet/JSON ({bytes,path}, Uint8Array, null) to EncodedImage. */
export function toEncodedImage(v: unknown): EncodedImage | null {
  if (v == null) return null;
  if (v instanceof Uint8Array) return { bytes: v };
  if (typeof v === 'object' && 'bytes' in (v as object)) {
    const o = v as { bytes: unknown; path?: unknown };
    if (o.bytes == null) return null;
    const bytes = o.bytes instanceof Uint8Array ? o.bytes : typeof o.bytes === 'string' ? Buffer.from(o.bytes, 'latin1') : null;
    if (!bytes) return null;
    return { bytes, path: typeof o.path === 'string' ? o.path : null };
  }
  return null;
}
