import type { InspectionSpec, SubtaskFacts } from './subtask.events.js';

export type SubtaskCommand =
  | { type: 'OfferSubtask'; facts: SubtaskFacts; expiresAt: Date; plannedStart: Date; plannedEnd: Date }
  | { type: 'AcceptOffer'; workshopId: string; at: Date }
  | { type: 'DeclineOffer'; workshopId: string; reason: string }
  | { type: 'ExpireOffer'; at: Date }
  | { type: 'StartSubtask'; workshopId: string; at: Date; stepReleased: boolean }
  | { type: 'CompleteSubtask'; workshopId: string; at: Date; goodQuantity: number; scrapQuantity: number; dueAt: Date; inspection: InspectionSpec }
  | { type: 'FailInspection'; disposition: 'rework' | 'replan'; at: Date }
  | { type: 'CancelSubtask'; reason: string };
