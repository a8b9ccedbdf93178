/** All declared interface classes by (class id, version). */
import { AssociationLnClass, AssociationLnClassV0, AssociationLnClassV2 } from './classes/association-ln.ts';
import { ClockClass } from './classes/clock.ts';
import { DataClass } from './classes/data.ts';
import { DisconnectControlClass } from './classes/disconnect-control.ts';
import { ExtendedRegisterClass } from './classes/extended-register.ts';
import { GsmDiagnosticClass } from './classes/gsm-diagnostic.ts';
import { ImageTransferClass } from './classes/image-transfer.ts';
import { MbusClientClassV0, MbusClientClassV1 } from './classes/mbus-client.ts';
import { ProfileGenericClass } from './classes/profile-generic.ts';
import { PushSetupClass } from './classes/push-setup.ts';
import { RegisterClass } from './classes/register.ts';
import { SecuritySetupClass, SecuritySetupClassV1 } from './classes/security-setup.ts';
import { SpecialDaysTableClass } from './classes/special-days-table.ts';
import { ActivityCalendarClass } from './classes/activity-calendar.ts';
import type { InterfaceClass } from './model.ts';

export const INTERFACE_CLASSES: readonly InterfaceClass[] = Object.freeze([
  DataClass,
  RegisterClass,
  ExtendedRegisterClass,
  ProfileGenericClass,
  ClockClass,
  SpecialDaysTableClass,
  AssociationLnClassV0,
  AssociationLnClass,
  AssociationLnClassV2,
  ImageTransferClass,
  ActivityCalendarClass,
  PushSetupClass,
  GsmDiagnosticClass,
  SecuritySetupClass,
  SecuritySetupClassV1,
  DisconnectControlClass,
  MbusClientClassV0,
  MbusClientClassV1,
]);

/** The declared class, or undefined. Without a version, the lowest declared version. */
export function findInterfaceClass(classId: number, version?: number): InterfaceClass | undefined {
  return INTERFACE_CLASSES.find((c) => c.classId === classId && (version === undefined || c.version === version));
}
