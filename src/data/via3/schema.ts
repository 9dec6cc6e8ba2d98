/**
 * The shape of a VIA3 project file, as a zod schema. It checks what the reader relies on (types of ids,
 * coordinates, attribute values) and lets through what it does not use (`config.ui`, unknown keys,
 * `project.data_format_version`, which saved files usually lack). Facts: ../../../../shared/VIA3_FORMAT.md.
 *
 * Semantic checks that need several parts of the project at once (a view naming a missing file, an
 * option id the attribute lacks, a negative width) are in read.ts, after the shape is known to be right.
 */
import { z } from 'zod';
import { jsonMap } from '../../util/json-map.js';

/** `fid` (and view ids in `fid_list` / `vid`) are strings in app-saved files, integers in the authors' demos. */
const idSchema = z.union([z.string(), z.number().int()]).transform((v) => String(v));

export const VIA3_ATTRIBUTE_TYPE = { TEXT: 1, CHECKBOX: 2, RADIO: 3, SELECT: 4, IMAGE: 5 } as const;
export const VIA3_FILE_TYPE = { IMAGE: 2, VIDEO: 4, AUDIO: 8 } as const;
export const VIA3_SHAPE = { POINT: 1, RECTANGLE: 2, CIRCLE: 3, ELLIPSE: 4, LINE: 5, POLYLINE: 6, POLYGON: 7, EXTREME_RECTANGLE: 8, EXTREME_CIRCLE: 9 } as const;
/** Attribute anchors that describe a region: on an image, and on a video frame. */
export const VIA3_ANCHOR = { IMAGE_REGION: 'FILE1_Z0_XY1', VIDEO_REGION: 'FILE1_Z1_XY1' } as const;
export const VIA3_REGION_ANCHORS = [VIA3_ANCHOR.IMAGE_REGION, VIA3_ANCHOR.VIDEO_REGION] as const;

const attributeSchema = z.looseObject({
  aname: z.string().default(''),
  anchor_id: z.string().default(''),
  type: z.number().int(),
  desc: z.string().optional(),
  options: jsonMap(z.string()).default(() => new Map<string, string>()),
  default_option_id: z.string().default(''),
});

const fileSchema = z.looseObject({
  fid: idSchema,
  fname: z.string(),
  type: z.number().int(),
  loc: z.number().int().optional(),
  src: z.string().optional(),
});

const viewSchema = z.looseObject({
  fid_list: z.array(idSchema),
});

const finite = z.number().refine(Number.isFinite, 'expected a finite number');

const metadataSchema = z.looseObject({
  vid: idSchema,
  flg: z.number().optional(),
  z: z.array(finite),
  xy: z.array(finite),
  av: jsonMap(z.string()).default(() => new Map<string, string>()),
});

export const via3ProjectSchema = z.looseObject({
  project: z
    .looseObject({
      pname: z.string().optional(),
      vid_list: z.array(idSchema).optional(),
    })
    .optional(),
  config: z.looseObject({}).optional(),
  attribute: jsonMap(attributeSchema),
  file: jsonMap(fileSchema),
  view: jsonMap(viewSchema),
  metadata: jsonMap(metadataSchema),
});

export type Via3Project = z.infer<typeof via3ProjectSchema>;
export type Via3Attribute = z.infer<typeof attributeSchema>;
export type Via3File = z.infer<typeof fileSchema>;

/**
 * Renders a zod issue path the way a user finds the place in the file: `metadata["1_abc"].xy[3]`.
 */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  path.forEach((key, i) => {
    if (typeof key === 'number') out += `[${key}]`;
    else if (i === 0) out += String(key);
    // Entry ids directly under a top-level table are always quoted: VIA3 ids are strings that look like numbers.
    else if (i === 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(key))) out += `[${JSON.stringify(String(key))}]`;
    else out += `.${String(key)}`;
  });
  return out;
}

interface ZodIssueLike {
  code?: string;
  path: PropertyKey[];
  message: string;
  errors?: ZodIssueLike[][];
}

/**
 * The place and message of a zod issue, for `fail(file, where, message)`. For a union ("a name or an
 * object") it reports the branch that got furthest into the value, which is what the user meant.
 */
export function describeZodIssue(issue: ZodIssueLike): { where: string | undefined; message: string } {
  let path = [...issue.path];
  let current = issue;
  while (current.code === 'invalid_union' && current.errors && current.errors.length > 0) {
    const deepest = current.errors.map((branch) => branch[0]).filter((x): x is ZodIssueLike => x !== undefined).sort((a, b) => b.path.length - a.path.length)[0];
    if (!deepest || deepest.path.length === 0) {
      // No branch got into the value: say which kinds would have done.
      const kinds = current.errors.map((branch) => /expected (\w+), received (\w+)/.exec(branch[0]?.message ?? ''));
      if (kinds.every((k) => k !== null)) {
        return { where: path.length > 0 ? formatJsonPath(path) : undefined, message: `expected ${kinds.map((k) => k![1]).join(' or ')}, got ${kinds[0]![2]}` };
      }
      break;
    }
    path = [...path, ...deepest.path];
    current = deepest;
  }
  // zod says "Invalid input: expected array, received undefined" for a missing key; say so plainly.
  const m = /expected (\w+), received undefined/.exec(current.message);
  const message = m ? `missing field (expected ${m[1]})` : current.message;
  return { where: path.length > 0 ? formatJsonPath(path) : undefined, message };
}
