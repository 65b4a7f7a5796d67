/** VM disks (ADR 0015): ext4 bases per image, qcow2 overlays (microvm), ubd COW files (uml). */
export { ensureBaseDisk, findBaseDisk, type BaseDisk, type BaseDiskOptions } from './base-disk.js';
export { disksDirOf, imageKey, baseFileName } from './base-names.js';
export { createQcow2Overlay, type Qcow2OverlayOptions } from './qcow2-overlay.js';
export { overlayFromBlank, blankOverlayPath } from './blank-overlay.js';
export { umlCowPath, ubdArg, checkUmlCow, readUmlCowHeader, type UmlCowHeader } from './uml-cow.js';
export { baseDigest, allocatedBytes, qcow2Info } from './verify.js';
export { pruneBaseDisks } from './prune.js';
export { defaultBytes, minimumBytes, formatSize } from './disk-size.js';
export {
  baseForEnvironment,
  diskLayout,
  diskSizeKernelArg,
  DISK_SIZE_KERNEL_ARG,
  type DiskLayout,
} from './env-disk.js';
