/**
 * Named constants of the chart repository and the install command.
 */

/** The agent chart's name, and its directory under `charts/` in the package. */
export const AGENT_CHART_NAME = 'kubegate-agent';

/** Where the server serves its Helm chart repository (`index.yaml` and the packaged chart). */
export const CHARTS_PATH = '/-/charts';

/**
 * The modification time of every file in the packaged chart. A constant, so the same
 * chart and version always give the same archive and digest, whenever the server packs it.
 */
export const CHART_FILE_MTIME = new Date('2000-01-01T00:00:00Z');

/** The name the install command gives the server's chart repository in `helm repo add`. */
export const HELM_REPO_NAME = 'kubegate';

/** Install commands put each agent in `kubegate-agent-<agent name>` (document 002's pattern). */
export const NAMESPACE_PREFIX = 'kubegate-agent-';

/** Helm's rule for release names (DNS-1123 subdomain-like) and its length limit. */
export const RELEASE_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Namespaces are RFC 1123 labels. */
export const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Helm refuses release names longer than this. */
export const MAX_RELEASE_NAME_LENGTH = 53;

/** Kubernetes namespace names are DNS labels. */
export const MAX_NAMESPACE_LENGTH = 63;

/** The file the install command reads the server's private CA from, unless the caller names another. */
export const DEFAULT_CA_CERT_FILE = 'kubegate-ca.pem';
