// The one mapping between a benchmark's prompt and an OpenAI chat-completions request, used by both sides: the
// endpoint client (`eval --endpoint`) builds requests with chatRequestMessages, and `rlsd-bench serve` reads them
// back with promptFromMessages. A prompt becomes one user message: its text as one text part, then each image as
// an image_url part holding a base64 data URL of the image's original bytes (never re-encoded, so the server
// decodes exactly the pixels a local evaluation decodes). Only data URLs are accepted: nothing is downloaded.
import type { EncodedImage, PromptParts } from '../../benchmarks/common/types.ts';

/** What a chat completion answers, as the client keeps it (and the cache stores it). */
export interface Completion {
  /** The message content ('' when the server sent null content). */
  text: string;
  finishReason: string | null;
}

export interface TextPart {
  type: 'text';
  text: string;
}
export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: string };
}
export type ContentPart = TextPart | ImagePart;
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

/** A request the server cannot read; `param` names the offending field as OpenAI's error object does. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** The image's media type from its leading bytes (what the data URL declares). */
export function imageMediaType(bytes: Uint8Array): string {
  const b = bytes;
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'image/gif';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'image/webp';
  if (b[0] === 0x42 && b[1] === 0x4d) return 'image/bmp';
  return 'application/octet-stream';
}

export function imageDataUrl(image: EncodedImage): string {
  return `data:${imageMediaType(image.bytes)};base64,${Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength).toString('base64')}`;
}

/** The messages of one benchmark prompt: a single user message, text first, then the images in order. */
export function chatRequestMessages(prompt: PromptParts): ChatMessage[] {
  return [{ role: 'user', content: [{ type: 'text', text: prompt.text }, ...prompt.images.map((img): ImagePart => ({ type: 'image_url', image_url: { url: imageDataUrl(img) } }))] }];
}

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?(;[^,;]*)*;base64,([A-Za-z0-9+/=\s]*)$/;

/**
 * The prompt a request asks about: the text parts of the last user message (joined by a newline) and its images,
 * in order. System and earlier messages are ignored (the tiny policy has no chat template); they are not errors.
 */
export function promptFromMessages(messages: unknown): PromptParts {
  if (!Array.isArray(messages) || messages.length === 0) throw new ProtocolError("'messages' must be a non-empty array", 'messages');
  let last = -1;
  messages.forEach((m, i) => {
    if (m && typeof m === 'object' && (m as { role?: unknown }).role === 'user') last = i;
  });
  if (last < 0) throw new ProtocolError("'messages' has no message with role 'user'", 'messages');
  const content = (messages[last] as { content?: unknown }).content;
  const where = `messages[${last}].content`;
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) throw new ProtocolError(`'${where}' must be a string or an array of content parts`, where);
  const texts: string[] = [];
  const images: EncodedImage[] = [];
  content.forEach((part: unknown, i) => {
    const p = part as { type?: unknown; text?: unknown; image_url?: unknown };
    if (p?.type === 'text') {
      if (typeof p.text !== 'string') throw new ProtocolError(`'${where}[${i}].text' must be a string`, `${where}[${i}].text`);
      texts.push(p.text);
    } else if (p?.type === 'image_url') {
      const iu = p.image_url as { url?: unknown } | string | undefined;
      const url = typeof iu === 'string' ? iu : iu?.url;
      if (typeof url !== 'string') throw new ProtocolError(`'${where}[${i}].image_url.url' must be a string`, `${where}[${i}].image_url.url`);
      const m = DATA_URL.exec(url);
      if (!m) throw new ProtocolError(`'${where}[${i}].image_url.url' must be a base64 data URL (data:image/png;base64,…): this server downloads nothing`, `${where}[${i}].image_url.url`);
      images.push({ bytes: new Uint8Array(Buffer.from(m[3]!.replace(/\s/g, ''), 'base64')) });
    } else {
      throw new ProtocolError(`'${where}[${i}].type' must be 'text' or 'image_url' (got ${JSON.stringify(p?.type ?? null)})`, `${where}[${i}].type`);
    }
  });
  return { text: texts.join('\n'), images };
}
