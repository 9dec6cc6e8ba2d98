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
  // A stand-in until the tuned CPU preset lands (issue #14): then one line, e.g. { name: 'best', config: 'synth_tiny_best', sets: [] }.
  {
    name: 'best',
    config: 'synth_tiny_focal_bn',
    sets: ['loss.classWeights=effective_number'],
    about: 'the best recipe so far (a stand-in: focal BCE + BatchNorm with effective-number class weights)',
  },
];
