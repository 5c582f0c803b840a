/** Stable codes for everything the Kubernetes driver reports as an error value or throws. */
export type KubernetesErrorCode =
  | "k8s_no_cluster"
  | "k8s_api_error"
  | "k8s_not_found"
  | "k8s_conflict"
  | "k8s_gone"
  | "k8s_forbidden"
  | "k8s_bad_response"
  | "k8s_unknown_kind"
  | "k8s_unowned_object"
  | "k8s_invalid_manifest"
  | "k8s_invalid"
  | "k8s_immutable_field"
  | "k8s_bad_metrics";

/** One field the API server refused, from a `Status`'s `details.causes`. */
export interface StatusCause {
  reason?: string | undefined;
  message?: string | undefined;
  field?: string | undefined;
}

/** One typed error for the driver: callers branch on `code`, never on the message. */
export class KubernetesDriverError extends Error {
  constructor(
    readonly code: KubernetesErrorCode,
    message: string,
    /** HTTP status of the API response, when the error came from one. */
    readonly status?: number,
    options?: { cause?: unknown; causes?: readonly StatusCause[] },
  ) {
    super(message, options);
    this.name = "KubernetesDriverError";
    this.causes = options?.causes ?? [];
  }

  /** The fields a 422 named (`details.causes`); empty for other errors. */
  readonly causes: readonly StatusCause[];
}

/** Map an API status code to the driver's error code; the API's own reason stays in the message. */
export const codeForStatus = (status: number): KubernetesErrorCode => {
  if (status === 404) return "k8s_not_found";
  if (status === 409) return "k8s_conflict";
  if (status === 410) return "k8s_gone";
  if (status === 401 || status === 403) return "k8s_forbidden";
  if (status === 422) return "k8s_invalid";
  return "k8s_api_error";
};

export const isDriverError = (e: unknown, code?: KubernetesErrorCode): e is KubernetesDriverError =>
  e instanceof KubernetesDriverError && (code === undefined || e.code === code);
