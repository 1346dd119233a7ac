/** The robot arm: URDF model, kinematics (FK, DLS IK) and the joint controller. */
export { ArmModel } from './ArmModel.js';
export { Kinematics } from './Kinematics.js';
export {
  JointController,
  brakingSpeed,
  timeToTarget,
  type JointControllerOptions,
  type GripperCommand,
} from './JointController.js';
export { wrapAngle, graspYaw, choleskySolve } from './mathUtil.js';
export { UrdfError, parseArmUrdf, type ParsedArm } from './parseUrdf.js';
export {
  ARM_WORKSPACE,
  DEFAULT_ARM_ACCELERATION,
  DEFAULT_ARM_VELOCITY,
  DEFAULT_FINGER_ACCELERATION,
  DEFAULT_FINGER_VELOCITY,
  DEFAULT_URDF_PATH,
  DEFAULT_VISUAL_RGB,
  HOME_TCP_POSE,
  type ArmModelOptions,
  type BasePose,
  type IkOptions,
  type IkResult,
  type JointLimit,
  type JointType,
  type LinkVisual,
  type ModelJoint,
  type Quat,
  type Vec3,
  type VisualShape,
  type WorkspaceBox,
} from './armTypes.js';
