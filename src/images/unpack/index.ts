export { unpackLayer, type UnpackOptions, type UnpackResult } from './unpack.js';
export type { LayerMetaFile } from './layer-meta.js';
export {
  normalizeEntryPath,
  classifyWhiteout,
  detectCompression,
  opaqueXattr,
  type Compression,
  type WhiteoutKind,
} from './paths.js';
export { tarArchive, tarHeader, type TarWriteEntry } from './tar-writer.js';
