/** An image resolved to what a backend needs: read-only layer dirs and the image config (types only: the state store records it). */
export interface ImageConfig {
  env: Record<string, string>;
  cmd: string[];
  entrypoint: string[];
  workdir: string;
  user: string;
}

export interface ResolvedImage {
  /** The reference as the user wrote it. */
  ref: string;
  /** sha256:... content digest identifying this image. */
  digest: string;
  /** Layer directories, topmost first (overlayfs lowerdir order). Never written to. */
  layers: string[];
  config: ImageConfig;
}
