/**
 * Staleness of the inputs the controller acts on: joint states and camera frames, by arrival time (the local
 * clock, so a robot with a skewed clock cannot fool it). Stale means older than the timeout, or never seen.
 */
export interface Staleness {
  jointStates: boolean;
  image: boolean;
  /** Seconds since the last joint state / image (Infinity if none). */
  jointStateAge: number;
  imageAge: number;
}

export class Watchdog {
  private lastJointState = -Infinity;
  private lastImage = -Infinity;

  constructor(
    readonly jointStateTimeout: number,
    readonly imageTimeout: number,
    private readonly clock: () => number = () => performance.now() / 1000,
  ) {}

  jointStateArrived(): void {
    this.lastJointState = this.clock();
  }

  imageArrived(): void {
    this.lastImage = this.clock();
  }

  /** Forget everything seen so far (after a disconnect: only data arriving after it counts). */
  reset(): void {
    this.lastJointState = -Infinity;
    this.lastImage = -Infinity;
  }

  check(): Staleness {
    const now = this.clock();
    const jointStateAge = now - this.lastJointState;
    const imageAge = now - this.lastImage;
    return { jointStates: jointStateAge > this.jointStateTimeout, image: imageAge > this.imageTimeout, jointStateAge, imageAge };
  }
}
