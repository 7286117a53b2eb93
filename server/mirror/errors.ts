/**
 * Typed errors of the mirror. Each has a stable `code` (the API maps it to a
 * status) and a message that names the image and the registry's own answer.
 * No message ever carries a credential, a token or a stack trace: callers show
 * `err.message` to users as-is.
 */

/** Base class: every mirror error has a code and names the image it is about. */
export class MirrorError extends Error {
  /** Stable machine code, e.g. `IMAGE_NOT_FOUND`. */
  readonly code: string;
  /** The image reference the error is about, as the user wrote it (normalised). */
  readonly image: string | undefined;

  constructor(code: string, message: string, image?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.image = image;
  }
}

/** The text is not a valid image reference. */
export class InvalidImageReferenceError extends MirrorError {
  constructor(input: string, reason: string) {
    super("INVALID_IMAGE_REFERENCE", `invalid image reference "${input}": ${reason}`, input);
  }
}

/** The registry answered 404: the repository, tag or digest does not exist. */
export class ImageNotFoundError extends MirrorError {
  /** The registry's error code, e.g. `MANIFEST_UNKNOWN` or `NAME_UNKNOWN`. */
  readonly registryCode: string | undefined;
  /** The registry's error message, as it sent it. */
  readonly registryMessage: string | undefined;

  constructor(image: string, registryCode?: string, registryMessage?: string) {
    const answer = registryCode ? `${registryCode}${registryMessage ? `: ${registryMessage}` : ""}` : "404 Not Found";
    super("IMAGE_NOT_FOUND", `image ${image} not found: the registry answered ${answer}`, image);
    this.registryCode = registryCode;
    this.registryMessage = registryMessage;
  }
}

/** The registry refused our credentials, or asked for some and we had none. */
export class RegistryAuthError extends MirrorError {
  /** HTTP status the registry answered (401 or 403). */
  readonly status: number;

  constructor(image: string, registry: string, status: number, detail: string) {
    super("REGISTRY_AUTH_FAILED", `registry ${registry} refused access to ${image} (${status}): ${detail}`, image);
    this.status = status;
  }
}

/** The registry could not be reached, timed out, rate-limited us, or failed (5xx). */
export class RegistryUnreachableError extends MirrorError {
  constructor(image: string, registry: string, detail: string, options?: { cause?: unknown }) {
    super("REGISTRY_UNREACHABLE", `registry ${registry} could not serve ${image}: ${detail}`, image, options);
  }
}

/** The registry answered something we cannot use (unknown media type, bad digest). */
export class RegistryProtocolError extends MirrorError {
  constructor(image: string, detail: string) {
    super("REGISTRY_PROTOCOL_ERROR", `image ${image}: ${detail}`, image);
  }
}

/** The source image lacks a platform that a node group needs. */
export class PlatformMissingError extends MirrorError {
  constructor(image: string, message: string) {
    super("IMAGE_PLATFORM_MISSING", message, image);
  }
}

/** skopeo failed to copy; the message holds its last error line, redacted. */
export class MirrorCopyError extends MirrorError {
  constructor(image: string, detail: string) {
    super("MIRROR_COPY_FAILED", `copying ${image} failed: ${detail}`, image);
  }
}

/** The copy was cancelled through its AbortSignal. */
export class MirrorCancelledError extends MirrorError {
  constructor(image?: string) {
    super("MIRROR_CANCELLED", image ? `mirroring ${image} was cancelled` : "mirroring was cancelled", image);
  }
}
