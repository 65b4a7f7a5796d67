/** An image resolved to what a backend needs; the types live in core/ (the state store records them). */
export type { ImageConfig, ResolvedImage } from '../core/image.js';
