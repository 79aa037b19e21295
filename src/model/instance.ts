/** A live instance of a store, as the library and the API show it (`scheduler.instances()`, `GET /v1/instances`). */
export interface Instance {
  /** Its instance id: the owner name of its leases. */
  id: string;
  host: string;
  pid: number;
  /** The chime version it runs. */
  version: string;
  /** When it started (ISO 8601). */
  startedAt: string;
  /** Its last sign of life (ISO 8601); it shows one every `heartbeatMs`. */
  lastSeenAt: string;
  /** Attempts it runs at once. */
  capacity: number;
  /** Executions it held at its last sign of life: claimed ahead, queued, running. */
  held: number;
  /** Attempts it was running at its last sign of life. */
  running: number;
}
