/**
 * The variants `vla experiment attention` compares: the two score kinds of the primer (dot-product, Vaswani et al.
 * 2017; additive, Bahdanau et al. 2015), one head against four, and a baseline without vision-language
 * cross-attention (words and patches in one self-attention stream, as token-concatenation VLAs do).
 */
import type { Fusion, ScoreKind } from '../policy/index.js';

export interface AttentionVariant {
  name: string;
  scoreKind: ScoreKind;
  heads: number;
  fusion: Fusion;
  /** What it is, in a few words. */
  what: string;
}

export const ATTENTION_VARIANTS = [
  { name: 'dot-4', scoreKind: 'dot', heads: 4, fusion: 'cross', what: 'dot-product cross-attention, 4 heads (the default policy)' },
  { name: 'additive-4', scoreKind: 'additive', heads: 4, fusion: 'cross', what: 'additive (Bahdanau) cross-attention, 4 heads' },
  { name: 'dot-1', scoreKind: 'dot', heads: 1, fusion: 'cross', what: 'dot-product cross-attention, 1 head' },
  { name: 'additive-1', scoreKind: 'additive', heads: 1, fusion: 'cross', what: 'additive cross-attention, 1 head' },
  { name: 'concat-4', scoreKind: 'dot', heads: 4, fusion: 'concat', what: 'no cross-attention: words and patches in one self-attention stream, 4 heads' },
] as const satisfies readonly AttentionVariant[];

export type VariantName = (typeof ATTENTION_VARIANTS)[number]['name'];
export const VARIANT_NAMES: readonly VariantName[] = ATTENTION_VARIANTS.map((v) => v.name);

/** The variants named in a comma-separated list, in the list's order; throws naming an unknown one. */
export function variantsByName(names: readonly string[]): AttentionVariant[] {
  return names.map((n) => {
    const v = ATTENTION_VARIANTS.find((x) => x.name === n);
    if (!v) throw new Error(`--variants: no variant "${n}"; the variants are ${VARIANT_NAMES.join(', ')}`);
    return v;
  });
}
