/** The one source of "now" for domain code, so tests can move time (expiry, date filters). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
