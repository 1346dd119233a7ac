/** Small numeric helpers of the arm code: angles and a dense SPD solve. */

/** Angle wrapped into (-pi, pi]. */
export function wrapAngle(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}

/** A parallel gripper's yaw folded into (-pi/2, pi/2] (yaw and yaw + pi are the same grasp). */
export function graspYaw(yaw: number): number {
  return wrapAngle(2 * yaw) / 2;
}

/** Solves A x = b for symmetric positive definite A (n x n row-major, overwritten by its Cholesky factor). */
export function choleskySolve(A: Float64Array, b: Float64Array, x: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) {
      let s = A[i * n + k]!;
      for (let m = 0; m < k; m++) s -= A[i * n + m]! * A[k * n + m]!;
      A[i * n + k] = i === k ? Math.sqrt(Math.max(s, 1e-300)) : s / A[k * n + k]!;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let m = 0; m < i; m++) s -= A[i * n + m]! * x[m]!;
    x[i] = s / A[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let m = i + 1; m < n; m++) s -= A[m * n + i]! * x[m]!;
    x[i] = s / A[i * n + i]!;
  }
}

