/**
 * Manifest and config media types of the OCI image spec and Docker's
 * distribution v2 (schema 2). Registries answer with whichever the image was
 * pushed as; the mirror reads all four manifest kinds and never converts one
 * into another, so digests survive the copy.
 */

/** Known media types. */
export const MediaType = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  /** Schema 1 (signed); Docker Hub stopped serving it in 2024 and we refuse it. */
  dockerManifestV1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

/** Media types that list per-platform manifests. */
export const INDEX_MEDIA_TYPES: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];

/** Media types of a single-platform image manifest. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];

/** `Accept` header for manifest requests: indexes first so a registry never down-converts a multi-arch image. */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
].join(", ");

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_MEDIA_TYPES.includes(mediaType);
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && MANIFEST_MEDIA_TYPES.includes(mediaType);
}

/** The index type that matches a family of manifests (Docker manifests go in a Docker list). */
export function indexMediaTypeFor(manifestMediaTypes: readonly string[]): string {
  return manifestMediaTypes.length > 0 && manifestMediaTypes.every((t) => t === MediaType.dockerManifest)
    ? MediaType.dockerManifestList
    : MediaType.ociIndex;
}
