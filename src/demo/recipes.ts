/**
 * The recipes `stad demo` trains and compares, in one table: the first is the baseline. A recipe is a
 * configs/ preset (or a JSON file) plus `--set` overrides of its own; the demo's size (sizes.ts) then
 * applies the same epochs and overrides to all of them, so they differ only where the table says.
 */
export interface DemoRecipe {
  /** Folder and column name (letters, digits, '_', '-', '.'). */
  name: string;
  /** A configs/ preset name or a JSON file. */
  config: string;
  /** Overrides of this recipe alone, as `stad train --set` takes them. */
  sets: readonly string[];
  /** One line for the output: what the recipe is. */
  about: string;
}

export const DEMO_RECIPES: readonly DemoRecipe[] = [
  { name: 'bce', config: 'synth_tiny_bce', sets: [], about: 'the baseline: binary cross-entropy' },
  { name: 'focal_bn', config: 'synth_tiny_focal_bn', sets: [], about: 'the reference recipe: focal BCE + BatchNorm on the logits' },
  // the best of the candidates measured so far on the scale-1 dataset (docs/RESULTS.md: one seed each, for now)
  { name: 'best', config: 'synth_tiny_bce_rfs', sets: [], about: 'the best recipe measured so far: BCE with repeat factor sampling for rare classes' },
];
