// Items whose text names images their row does not have (BenchItem.unresolvedImages): they load and are
// scored (the official scorers read only the text), and a command says how many there were.
import type { BenchItem } from './types.ts';

/** '<image 8>', '<image 9>', '<image 10>' → '<image 8>…<image 10>'; runs of two stay a list. */
export function formatImageTags(tags: readonly string[]): string {
  const parts: string[] = [];
  let i = 0;
  const num = (t: string): number | null => {
    const m = /^<image (\d+)>$/.exec(t);
    return m ? Number(m[1]) : null;
  };
  while (i < tags.length) {
    let j = i;
    const start = num(tags[i]!);
    if (start !== null) while (j + 1 < tags.length && num(tags[j + 1]!) === start + (j + 1 - i)) j++;
    if (j - i >= 2) parts.push(`${tags[i]}…${tags[j]}`);
    else for (let k = i; k <= j; k++) parts.push(tags[k]!);
    i = j + 1;
  }
  return parts.join(', ');
}

/** The items of `items` that name images they do not have, as id → tags (in item order). */
export function unresolvedImageItems(items: readonly BenchItem[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const it of items) if (it.unresolvedImages && it.unresolvedImages.length > 0) out[it.id] = it.unresolvedImages;
  return out;
}

/**
 * One line for the user, or null when every named image exists, e.g. "mmmu: 1 item names images it does not
 * have (validation_Math_7: <image 8>…<image 30>); scored from its text, evaluated with the images that exist".
 */
export function unresolvedImagesNotice(benchmark: string, byId: Record<string, string[]>, shown = 3): string | null {
  const ids = Object.keys(byId);
  if (ids.length === 0) return null;
  const list = ids.slice(0, shown).map((id) => `${id}: ${formatImageTags(byId[id]!)}`);
  if (ids.length > shown) list.push(`… ${ids.length - shown} more`);
  const one = ids.length === 1;
  return `${benchmark}: ${ids.length} item${one ? ' names' : 's name'} images ${one ? 'it does' : 'they do'} not have (${list.join('; ')}); scored from ${one ? 'its' : 'their'} text, evaluated with the images that exist`;
}
