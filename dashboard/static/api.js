// The dashboard's HTTP API (see the contract in the issue-26 design): one function per route.
//
// Failures come in two kinds: the server answered with an error (ApiError, e.g. an unknown
// candidate) or could not be reached at all (NetworkError: it stopped or restarted). The second
// kind is reported to the connection listener so the page can say so and keep retrying.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export class NetworkError extends Error {}

let connectionListener = () => {};

/** Called with `true` after a request reached the server and `false` after one could not. */
export function onConnection(listener) {
  connectionListener = listener;
}

async function request(path, asText) {
  let response;
  try {
    response = await fetch(path, { cache: "no-store" });
  } catch (error) {
    connectionListener(false);
    throw new NetworkError(`cannot reach the dashboard server (${error.message})`);
  }
  connectionListener(true);
  if (!response.ok) throw new ApiError(await errorMessage(response), response.status);
  return asText ? response.text() : response.json();
}

/** The server's `{"error": ...}` message, or the HTTP status when the body has none. */
async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === "string") return body.error;
  } catch {
    // not JSON: fall through to the status line
  }
  return `HTTP ${response.status} ${response.statusText}`.trim();
}

const runPath = (run) => `/api/runs/${encodeURIComponent(run)}`;
const candidatePath = (run, id) => `${runPath(run)}/candidates/${encodeURIComponent(id)}`;

export const api = {
  runs: () => request("/api/runs"),
  summary: (run) => request(runPath(run)),
  candidates: (run) => request(`${runPath(run)}/candidates`),
  curve: (run) => request(`${runPath(run)}/curve`),
  events: (run, since) => request(`${runPath(run)}/events?since=${encodeURIComponent(since)}`),
  candidate: (run, id) => request(candidatePath(run, id)),
  drawing: (run, id) => request(`${candidatePath(run, id)}/drawing.svg`, true),
  lineage: (run) => request(`${runPath(run)}/lineage.svg`, true),
};
