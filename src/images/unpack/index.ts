export { unpackLayer, type UnpackOptions, type UnpackResult, type LayerMetaFile } from './unpack.js';
export {
  normalizeEntryPath,
  classifyWhiteout,
  detectCompression,
  opaqueXattr,
  type Compression,
  type WhiteoutKind,
} from './paths.js';
export { tarArchive, tarHeader, type TarWriteEntry } from './tar-writer.js';
