/** The node's HTTP API (loopback, bearer token) and the client the CLI uses. */
export type { ApiClient, ApiClientInit, DaemonInfo, SseEvent } from './client.ts'
export { createApiClient, DAEMON_FILE, readDaemonInfo } from './client.ts'
export type { ApiServer, ApiServerInit } from './server.ts'
export { createApiServer, MAX_API_BODY_BYTES, resolvePeerArgument, statusOf } from './server.ts'
