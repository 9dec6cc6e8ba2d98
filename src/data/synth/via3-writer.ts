/**
 * Writes VIA3 image projects exactly as the VGG Image Annotator saves them (../shared/VIA3_FORMAT.md):
 * compact JSON, top-level keys in the tool's order (project, config, attribute, file, metadata, view),
 * string file and view ids, metadata ids `<vid>_<8 chars>`, and no `data_format_version` (the app
 * drops it when saving). One file per extracted frame, one view per file; each box a rectangle
 * `[2, x, y, w, h]` in pixels with `z` = [] (an image, not a video time).
 */
import type { Rng } from '../rng.js';
import { VIA3_FILE_TYPE, VIA3_SHAPE } from '../via3/schema.js';

export interface Via3AttributeJson {
  aname: string;
  anchor_id: string;
  type: number;
  desc: string;
  options: Record<string, string>;
  default_option_id: string;
}

export interface Via3FileJson {
  fid: string;
  fname: string;
  type: number;
  loc: number;
  src: string;
}

export interface Via3MetadataJson {
  vid: string;
  flg: number;
  z: number[];
  xy: number[];
  av: Record<string, string>;
}

export interface Via3ProjectJson {
  project: {
    pid: string;
    rev: string;
    rev_timestamp: string;
    pname: string;
    creator: string;
    created: number;
    vid_list: string[];
  };
  config: {
    file: { loc_prefix: Record<string, string> };
    ui: Record<string, string | boolean>;
  };
  attribute: Record<string, Via3AttributeJson>;
  file: Record<string, Via3FileJson>;
  metadata: Record<string, Via3MetadataJson>;
  view: Record<string, { fid_list: string[] }>;
}

/** One rectangle and its attribute values (every value a string, as VIA3 stores them). */
export interface Via3Rect {
  x: number;
  y: number;
  w: number;
  h: number;
  av: Record<string, string>;
}

export interface Via3ImageEntry {
  fname: string;
  rects: readonly Via3Rect[];
}

export interface Via3ImageProjectInput {
  pname: string;
  /** Milliseconds since the epoch; fixed by the caller so that output is reproducible. */
  created: number;
  /** Attributes by id, in id order. */
  attributes: Readonly<Record<string, Via3AttributeJson>>;
  images: readonly Via3ImageEntry[];
  /** Draws the 8 random characters of metadata ids (deterministic for a seed). */
  rng: Rng;
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function metadataId(vid: string, rng: Rng, used: Set<string>): string {
  for (;;) {
    let s = '';
    for (let i = 0; i < 8; i++) s += ID_CHARS[rng.nextU32() % ID_CHARS.length];
    const id = `${vid}_${s}`;
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

/** Builds an image project (one file and one view per image, ids "1", "2", ... in order). */
export function buildImageProject(input: Via3ImageProjectInput): Via3ProjectJson {
  const file: Record<string, Via3FileJson> = {};
  const view: Record<string, { fid_list: string[] }> = {};
  const metadata: Record<string, Via3MetadataJson> = {};
  const vidList: string[] = [];
  const used = new Set<string>();
  input.images.forEach((img, i) => {
    const fid = String(i + 1);
    const vid = fid;
    file[fid] = { fid, fname: img.fname, type: VIA3_FILE_TYPE.IMAGE, loc: 1, src: '' };
    view[vid] = { fid_list: [fid] };
    vidList.push(vid);
    for (const r of img.rects) {
      metadata[metadataId(vid, input.rng, used)] = { vid, flg: 0, z: [], xy: [VIA3_SHAPE.RECTANGLE, r.x, r.y, r.w, r.h], av: { ...r.av } };
    }
  });
  return {
    project: {
      pid: '__VIA_PROJECT_ID__',
      rev: '__VIA_PROJECT_REV_ID__',
      rev_timestamp: '__VIA_PROJECT_REV_TIMESTAMP__',
      pname: input.pname,
      creator: 'VGG Image Annotator (http://www.robots.ox.ac.uk/~vgg/software/via)',
      created: input.created,
      vid_list: vidList,
    },
    config: {
      file: { loc_prefix: { '1': '', '2': '', '3': '', '4': '' } },
      ui: {
        file_content_align: 'center',
        file_metadata_editor_visible: true,
        spatial_metadata_editor_visible: true,
        temporal_segment_metadata_editor_visible: true,
        spatial_region_label_attribute_id: '',
        gtimeline_visible_row_count: '4',
      },
    },
    attribute: { ...input.attributes },
    file,
    metadata,
    view,
  };
}

/** Compact JSON, as the tool writes it. */
export function serialiseProject(p: Via3ProjectJson): string {
  return JSON.stringify(p);
}
