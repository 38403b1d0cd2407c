// The simulator's clock. Every time check in the simulator (key expiry, grant iat/exp, token lifetimes,
// timestamps in responses) reads this clock, so tests can move time forward with POST /_sim/clock.
export interface ClockState {
  offsetMs: number;
}

export class Clock {
  constructor(private readonly state: () => ClockState) {}

  /** Milliseconds since the epoch, simulator time. */
  now(): number {
    return Date.now() + this.state().offsetMs;
  }

  /** Whole seconds since the epoch, simulator time (the unit of JWT `iat`/`exp` and JWK `exp`). */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  date(): Date {
    return new Date(this.now());
  }

  iso(): string {
    return this.date().toISOString();
  }

  offsetSeconds(): number {
    return this.state().offsetMs / 1000;
  }

  advance(seconds: number): void {
    this.state().offsetMs += Math.round(seconds * 1000);
  }
}
