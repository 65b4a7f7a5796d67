/** What `<dest>.meta.json` holds for a rootless unpack: the record of what the layer asked for (ADR 0014). */
export interface LayerMetaFile {
  version: 1;
  /** Path relative to the layer root ('' is the root) -> what the layer asked for. */
  entries: Record<
    string,
    {
      type: string;
      mode: number;
      uid: number;
      gid: number;
      devmajor?: number;
      devminor?: number;
      skipped?: boolean;
      xattrs?: Record<string, string>;
    }
  >;
}
